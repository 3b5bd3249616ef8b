// A file that breaks the layering on purpose: the check must refuse it.
#include "terminal/lane/lane.hpp"
