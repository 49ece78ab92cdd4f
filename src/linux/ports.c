#include "linux/ports.h"
