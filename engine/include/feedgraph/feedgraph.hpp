#pragma once
// The one header to include: every public part of feedgraph.
//
//   #include <feedgraph/feedgraph.hpp>
//   auto pipeline = feedgraph::Pipeline::from_file("graphs/seed.yaml");
//   for (feedgraph::DeviceBatch& batch : pipeline.batches(stream)) train_step(batch, stream);
//
// Start with pipeline.hpp (Pipeline, plan, run), device_batch.hpp (what a loop receives) and stage.hpp
// (your own sources, transforms and compute stages).
#include "feedgraph/ablate.hpp"
#include "feedgraph/checksum.hpp"
#include "feedgraph/device_checksum.hpp"
#include "feedgraph/device_batch.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/layout.hpp"
#include "feedgraph/make_dataset.hpp"
#include "feedgraph/options.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/probe.hpp"
#include "feedgraph/resources.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"
#include "feedgraph/stats.hpp"
#include "feedgraph/timeline.hpp"
#include "feedgraph/tune.hpp"
