// `feedgraph make-dataset`: write a dataset from the synthetic generator (feedgraph/make_dataset.hpp), so that
// the real-data sources can be tried and tested without downloads.
//
//   feedgraph make-dataset --kind records --samples 50000 --out data/train --shards 8 --shape 3,32,32
//
// Options are checked by make_dataset() itself, which throws ConfigError for a bad one: main maps that to
// exit status 2 like any other usage error, and the checks live in one place for the command and the library.
#include <cstdio>
#include <filesystem>
#include <system_error>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "feedgraph/tools/make_dataset.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph::cli {
namespace {

/// CLI11 validator for --size: "WxH" with two positive integers.
std::string check_size(const std::string& text) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || x != 'x' || w < 1 || h < 1)
    return "expected WIDTHxHEIGHT, e.g. 256x256";
  return {};
}

}  // namespace

CLI::App* add_make_dataset_command(CLI::App& app, MakeDatasetArgs& args) {
  CLI::App* command = app.add_subcommand(
      "make-dataset",
      "Write a records, npy or images dataset from the synthetic generator (sample i = synthetic sample i)");
  MakeDatasetOptions& o = args.options;
  command->add_option("--kind", o.kind, "records | npy | images")
      ->required()
      ->check(CLI::IsMember({"records", "npy", "images"}));
  command->add_option("--samples", o.samples, "How many samples")->required()->type_name("N");
  command->add_option("--out", o.out, "records: a file, or a folder with --shards; npy: a file; images: a folder")
      ->required()
      ->type_name("PATH");
  command->add_option("--shape", args.shape, "records, npy: the sample shape (default 3,32,32)")
      ->delimiter(',')
      ->type_name("D,D,...");
  command->add_option("--dtype", args.dtype, "records, npy: uint8 | int32 | float16 | float32 (default uint8)")
      ->check(CLI::IsMember({"uint8", "int32", "float16", "float32"}));
  command->add_option("--seed", o.seed, "The synthetic generator's seed (default 0)")->type_name("S");
  command
      ->add_option("--classes", o.classes, "Labels cycle through 0..K-1; records, npy: 0 writes no labels (default 10)")
      ->type_name("K");
  command->add_option("--shards", o.shards, "records: write M files part-00000.rec ... into the --out folder")
      ->type_name("M");
  command->add_option("--size", args.size, "images: WIDTHxHEIGHT (default 256x256)")->check(check_size);
  command
      ->add_option("--size-jitter", o.size_jitter,
                   "images: scale each image's width and height by its own factor in [1-J, 1+J] (default 0)")
      ->type_name("J");
  command->add_option("--quality", o.quality, "images: JPEG quality 1-100 (default 90)")->type_name("Q");
  return command;
}

int make_dataset_command(MakeDatasetArgs& args) {
  MakeDatasetOptions& o = args.options;
  if (!args.shape.empty()) o.sample.shape = args.shape;
  if (!args.dtype.empty()) o.sample.dtype = *parse_dtype(args.dtype);  // checked by CLI11
  if (!args.size.empty()) std::sscanf(args.size.c_str(), "%dx%d", &o.width, &o.height);  // checked by check_size

  const MadeDataset made = make_dataset(o);

  if (o.kind == "images") {
    const std::string jitter = o.size_jitter > 0 ? fmt::format(" (each side ±{:g}%)", o.size_jitter * 100) : "";
    fmt::print("make-dataset: {} images of {}x{}{} in {} classes, JPEG quality {}, seed {}\n", o.samples, o.width,
               o.height, jitter, o.classes, o.quality, o.seed);
  } else {
    const std::string labels = o.classes > 0 ? fmt::format("labels 0..{}", o.classes - 1) : std::string("no labels");
    fmt::print("make-dataset: {} samples of {}, {}, seed {}, as {}\n", o.samples, o.sample.describe(), labels, o.seed,
               o.kind);
  }
  // A folder of images can hold thousands of files: the first few say where they went.
  constexpr std::size_t shown = 10;
  for (std::size_t i = 0; i < made.files.size() && i < shown; ++i) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(made.files[i], ec);
    fmt::print("  {}  {}\n", made.files[i], ec ? std::string("?") : format_bytes(size));
  }
  if (made.files.size() > shown) fmt::print("  ... and {} more\n", made.files.size() - shown);
  fmt::print("wrote {} file{}, {}\n", made.files.size(), made.files.size() == 1 ? "" : "s", format_bytes(made.bytes));
  std::fflush(stdout);
  return 0;
}

}  // namespace feedgraph::cli
