#include "control/health/probes.h"
