#pragma once
// The one header to include: every public part of feedgraph.
#include "feedgraph/ablate.hpp"
#include "feedgraph/checksum.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/layout.hpp"
#include "feedgraph/options.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/probe.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"
#include "feedgraph/stats.hpp"
#include "feedgraph/timeline.hpp"
