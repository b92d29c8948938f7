// The one translation unit that holds doctest's main(), shared by every test
// executable as an object library.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
