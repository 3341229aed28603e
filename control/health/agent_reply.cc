#include "control/health/agent_reply.h"
