// Allowed: the till uses the shared domain library.
#include "domain/money.hpp"
