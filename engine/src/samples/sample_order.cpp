#include "samples/sample_order.hpp"

#include <cstdlib>
#include <string>

#include "feedgraph/errors.hpp"
#include "feedgraph/splitmix.hpp"

namespace feedgraph::detail {
namespace {

bool env_int(const char* name, int& out) {
  const char* text = std::getenv(name);
  if (!text || !*text) return false;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 0 || v > 1'000'000) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

LauncherRank launcher_rank() {
  struct Pair {
    const char* rank;
    const char* size;
    const char* label;
  };
  static constexpr Pair kPairs[] = {{"RANK", "WORLD_SIZE", "RANK/WORLD_SIZE"},
                                    {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK/SIZE"},
                                    {"PMI_RANK", "PMI_SIZE", "PMI_RANK/PMI_SIZE"},
                                    {"SLURM_PROCID", "SLURM_NTASKS", "SLURM_PROCID/SLURM_NTASKS"}};
  LauncherRank r;
  for (const Pair& p : kPairs) {
    int rank = 0, world = 0;
    if (env_int(p.rank, rank) && env_int(p.size, world) && world >= 1 && rank < world) {
      r.rank = rank;
      r.world = world;
      r.from = p.label;
      break;
    }
  }
  for (const char* name : {"LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    if (env_int(name, r.local_rank)) break;
  }
  for (const char* name : {"LOCAL_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}) {
    int n = 0;
    if (env_int(name, n) && n >= 1) {
      r.local_world = n;
      break;
    }
  }
  if (r.local_rank >= r.local_world) r.local_world = r.local_rank + 1;  // a launcher that said less than it meant
  return r;
}

SampleOrder::SampleOrder(std::int64_t dataset_size, bool shuffle, std::uint64_t seed, const ShardSpec& shard)
    : dataset_size_(dataset_size), shuffle_(shuffle), seed_(seed), index_(shard.index), count_(shard.count) {
  const std::int64_t whole = dataset_size / count_;
  const bool even = dataset_size % count_ == 0;
  size_ = even || shard.uneven == ShardSpec::Uneven::drop ? whole : whole + 1;
  if (size_ == 0) {
    throw Error("shard " + std::to_string(index_) + " of " + std::to_string(count_) + ": the dataset's " +
                std::to_string(dataset_size) + " samples leave it empty (uneven: drop)");
  }
  // The permutation's domain: the smallest power of four ≥ N, so that cycle-walking takes < 4 steps on
  // average and both Feistel halves have the same width.
  // Past 2^62 the domain is all of 2^64, which no shift of 1 can name.
  int bits = 2;
  while (bits < 64 && (std::uint64_t{1} << bits) < static_cast<std::uint64_t>(dataset_size)) bits += 2;
  half_bits_ = bits / 2;
}

std::uint64_t SampleOrder::permute(std::uint64_t x, std::uint64_t key) const {
  const std::uint64_t mask = (std::uint64_t{1} << half_bits_) - 1;
  std::uint64_t left = x >> half_bits_, right = x & mask;
  for (std::uint64_t round = 0; round < 6; ++round) {
    const std::uint64_t f = splitmix64(key ^ (round << 56) ^ right) & mask;
    const std::uint64_t next = left ^ f;
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

std::int64_t SampleOrder::at(std::int64_t epoch, std::int64_t position) const {
  // Rank r's position p is the epoch's global position r + p*n; past the end (pad) it wraps to the start.
  return global_at(epoch, (index_ + position * count_) % dataset_size_);
}

std::int64_t SampleOrder::global_at(std::int64_t epoch, std::int64_t position) const {
  const auto global = static_cast<std::uint64_t>(position);
  if (!shuffle_) return static_cast<std::int64_t>(global);
  const std::uint64_t key = splitmix64(seed_ ^ splitmix64(static_cast<std::uint64_t>(epoch) + 0x51A7E5ULL));
  std::uint64_t x = global;
  do {
    x = permute(x, key);
  } while (x >= static_cast<std::uint64_t>(dataset_size_));
  return static_cast<std::int64_t>(x);
}

}  // namespace feedgraph::detail
