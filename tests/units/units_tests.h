/* TCases of the "units" suite (lib/model/text.h), one file each. */
#ifndef BPCI_TESTS_UNITS_H
#define BPCI_TESTS_UNITS_H

#include "test.h"

TCase *units_scalar_tcase(void);
TCase *units_quantity_tcase(void);
TCase *units_text_tcase(void);
TCase *units_split_tcase(void);
TCase *units_eip55_tcase(void);

#endif
