/* ledger serve as a real child process, shipping from other ledgers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_test.h"

void audit_add_ship_tests(Suite *s)
{
	(void)s;
}
