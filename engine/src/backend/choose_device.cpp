// `device: auto | cuda | cuda:N | host` → a backend, with the reason shown to the user.
#include <thread>

#include "backend/backend.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail {

#if !FEEDGRAPH_HAVE_CUDA
std::unique_ptr<Backend> make_cuda_backend(int) {
  throw Error("this feedgraph was built without CUDA: use device: host (or rebuild with a CUDA toolkit)");
}
int cuda_device_count(std::string& why) {
  why = "built without CUDA";
  return 0;
}
std::string cuda_device_name(int index) { return "cuda:" + std::to_string(index); }
#endif

std::string host_device_name() {
  return "host stand-in (" + std::to_string(std::thread::hardware_concurrency()) + " cores)";
}

DeviceChoice choose_device(const DeviceSelection& selection, int local_rank) {
  using Kind = DeviceSelection::Kind;
  if (selection.kind == Kind::host) return {BackendKind::host, 0, host_device_name(), "device: host"};
  std::string why;
  const int count = cuda_device_count(why);
  if (selection.kind == Kind::automatic) {
    if (count == 0) return {BackendKind::host, 0, host_device_name(), "device: auto and " + why};
    // One process per GPU, as torchrun and mpirun start them: the local rank picks the device.
    const int index = local_rank % count;
    return {BackendKind::cuda, index, cuda_device_name(index),
            "device: auto found " + std::to_string(count) + " CUDA device(s)" +
                (count > 1 ? ", local rank " + std::to_string(local_rank) + " takes cuda:" + std::to_string(index) : "")};
  }
  if (count == 0) throw Error("device: " + selection.text() + " asked for, but " + why);
  if (selection.index >= count)
    throw Error("device: " + selection.text() + " asked for, but only " + std::to_string(count) + " CUDA device(s) answer");
  return {BackendKind::cuda, selection.index, cuda_device_name(selection.index), "device: " + selection.text()};
}

}  // namespace feedgraph::detail
