#include "config.h"
#include "backend.h"
