# A CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): what dh_strip does
# beyond CPACK_STRIP_FILES' plain `strip` of programs and shared libraries:
# their .comment and .note sections go, and static libraries lose their
# debugging information (but keep their symbols).
file(GLOB_RECURSE files LIST_DIRECTORIES false "${CPACK_TEMPORARY_DIRECTORY}/*")
foreach(f IN LISTS files)
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  file(READ "${f}" magic LIMIT 8 HEX)
  if(magic STREQUAL "213c617263683e0a") # "!<arch>\n"
    execute_process(COMMAND strip --strip-debug --remove-section=.comment --remove-section=.note
                            --enable-deterministic-archives "${f}" COMMAND_ERROR_IS_FATAL ANY)
  elseif(magic MATCHES "^7f454c46") # ELF
    execute_process(COMMAND strip --remove-section=.comment --remove-section=.note "${f}"
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()
endforeach()
