# The linker version script of libzhitong.so: exactly the functions (and
# the tables of names, as data) the public headers declare are exported, under one version node; everything
# else (the store's statement cache, the embedded schemas, the readers'
# helpers) stays internal, so that it can change without an ABI break.
#   cmake -DOUT=libzhitong.map -DNODE=ZHITONG_0.1 -DHEADERS="a.h|b.h" -P exports.cmake
set(names)
string(REPLACE "|" ";" HEADERS "${HEADERS}")
foreach(h IN LISTS HEADERS)
  file(READ "${h}" text)
  # Comments out (they name functions in prose); then every `zt_name(`.
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
  string(REGEX REPLACE "//[^\n]*" "" text "${text}")
  string(REGEX MATCHALL "zt_[a-z0-9_]+[ \t]*\\(" calls "${text}")
  foreach(c IN LISTS calls)
    string(REGEX REPLACE "[ \t]*\\($" "" c "${c}")
    list(APPEND names "${c}")
  endforeach()
  # and the tables the headers export as data (`extern const … zt_name[…]`)
  string(REGEX MATCHALL "extern [^;]*zt_[a-z0-9_]+\\[" tables "${text}")
  foreach(t IN LISTS tables)
    string(REGEX REPLACE "^.*(zt_[a-z0-9_]+)\\[$" "\\1" t "${t}")
    list(APPEND names "${t}")
  endforeach()
endforeach()
list(REMOVE_DUPLICATES names)
list(SORT names)
set(body "")
foreach(n IN LISTS names)
  string(APPEND body "\t\t${n};\n")
endforeach()
file(WRITE "${OUT}.tmp" "/* Generated from the public headers by packaging/exports.cmake. */\n${NODE} {\n\tglobal:\n${body}\tlocal:\n\t\t*;\n};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
