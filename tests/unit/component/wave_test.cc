// WAVE reader and printer tests. (Placeholder until the implementation lands.)
#include "witserve/component/wave.h"

#include <gtest/gtest.h>
