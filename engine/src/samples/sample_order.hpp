#pragma once
// Which dataset sample sits at each position of each epoch for this process: the shuffle and the shard.
//
// The shuffle is a keyed permutation computed per position (a Feistel network over the next power of four,
// cycle-walked into [0, N)), not a shuffled array: O(1) memory for any dataset size, the same answer from
// any thread at any time, and a function of (seed, epoch, position) alone, so every concurrency and every
// rank agrees on each epoch's order. Rank r of n then takes positions r, r+n, r+2n, ... of that order.
#include <cstdint>

#include "feedgraph/spec.hpp"

namespace feedgraph::detail {

/// The launcher's view of this process: rank and world size, and the rank within its node.
struct LauncherRank {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  int local_world = 1;  ///< ranks on this host (LOCAL_WORLD_SIZE and its kin); 1 when no launcher says
  const char* from = nullptr;  ///< which variables said so ("RANK/WORLD_SIZE"), null when none did
};
/// Reads RANK/WORLD_SIZE (torchrun), OMPI_COMM_WORLD_RANK/SIZE (Open MPI), PMI_RANK/PMI_SIZE and
/// SLURM_PROCID/SLURM_NTASKS, in that order; LOCAL_RANK and its kin for the local rank; LOCAL_WORLD_SIZE
/// (torchrun), OMPI_COMM_WORLD_LOCAL_SIZE, MPI_LOCALNRANKS (MPICH) or SLURM_NTASKS_PER_NODE for the ranks
/// on this host.
LauncherRank launcher_rank();

class SampleOrder {
 public:
  SampleOrder() = default;
  /// `shard` must be resolved (not automatic). Throws Error when a shard would be empty.
  SampleOrder(std::int64_t dataset_size, bool shuffle, std::uint64_t seed, const ShardSpec& shard);

  /// Samples per epoch in this shard.
  std::int64_t size() const { return size_; }
  /// The dataset id at `position` (0 ≤ position < size()) of `epoch`.
  std::int64_t at(std::int64_t epoch, std::int64_t position) const;
  /// The dataset id at `global` position (0 ≤ global < dataset_size()) of `epoch`'s order over every shard.
  std::int64_t global_at(std::int64_t epoch, std::int64_t global) const;
  std::int64_t dataset_size() const { return dataset_size_; }

 private:
  std::uint64_t permute(std::uint64_t x, std::uint64_t key) const;

  std::int64_t dataset_size_ = 0;
  std::int64_t size_ = 0;
  bool shuffle_ = false;
  std::uint64_t seed_ = 0;
  std::int64_t index_ = 0, count_ = 1;
  int half_bits_ = 1;
};

}  // namespace feedgraph::detail
