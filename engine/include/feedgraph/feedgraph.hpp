#pragma once
// The one header to include: every public part of feedgraph.
//
//   #include <feedgraph/feedgraph.hpp>
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/seed.yaml");
//   for (feedgraph::DeviceBatch& batch : pipeline.batches(stream)) train_step(batch, stream);
//
// The core: pipeline.hpp (Pipeline, plan, run), settings.hpp (what may change between runs),
// device_batch.hpp (what a loop receives), stage.hpp (your own sources, transforms and compute stages),
// spec.hpp, stats.hpp, errors.hpp, resources.hpp. The tools built on it, which the `feedgraph` command uses:
// tools/tune.hpp, tools/ablate.hpp, tools/probe.hpp, tools/timeline.hpp, tools/make_dataset.hpp and
// tools/bounds.hpp. Headers under detail/ are shared by the engine and its stages, and are no contract.
#include "feedgraph/checksum.hpp"
#include "feedgraph/device_batch.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/layout.hpp"
#include "feedgraph/options.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/resources.hpp"
#include "feedgraph/settings.hpp"
#include "feedgraph/state.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"
#include "feedgraph/stats.hpp"
#include "feedgraph/tools/ablate.hpp"
#include "feedgraph/tools/bounds.hpp"
#include "feedgraph/tools/make_dataset.hpp"
#include "feedgraph/tools/probe.hpp"
#include "feedgraph/tools/timeline.hpp"
#include "feedgraph/tools/tune.hpp"
