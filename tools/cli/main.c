/* placeholder main until the CLI lands */
#include <stdio.h>
int main(void) { puts("zhitong"); return 0; }
