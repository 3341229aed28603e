#include "control/health/http_expect.h"
