// `faults:`. Each kind takes exactly the keys it uses, so a fault that would silently never fire (a stall
// with no node, a refusal with no memory) is an error in the file, not a test that proves nothing.
#include "spec/fault_schema.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace feedgraph {

std::string FaultSpec::text() const {
  switch (kind) {
    case Kind::throw_error: return fmt::format("throw at {} batch {}", node, batch);
    case Kind::stall:
      return seconds > 0 ? fmt::format("stall at {} batch {} for {:g} s", node, batch, seconds)
                         : fmt::format("stall at {} batch {} until the watchdog fires", node, batch);
    case Kind::trap: return fmt::format("device trap at batch {}", batch);
    case Kind::slow_consumer: return fmt::format("slow consumer: +{:g} s per batch from batch {}", seconds, batch);
    case Kind::refuse_alloc: return fmt::format("refuse the {} allocation", memory);
    case Kind::vanish: return fmt::format("the source's files vanish at batch {}", batch);
  }
  return "?";
}

namespace detail {
namespace {

struct KindInfo {
  const char* name;
  FaultSpec::Kind kind;
  std::vector<std::string> keys;  // besides `kind`
  std::vector<std::string> required;
};

const std::vector<KindInfo> kKinds{
    {"throw", FaultSpec::Kind::throw_error, {"node", "batch"}, {"node", "batch"}},
    {"stall", FaultSpec::Kind::stall, {"node", "batch", "seconds"}, {"node", "batch"}},
    {"trap", FaultSpec::Kind::trap, {"batch"}, {"batch"}},
    {"slow_consumer", FaultSpec::Kind::slow_consumer, {"seconds", "batch"}, {"seconds"}},
    {"refuse_alloc", FaultSpec::Kind::refuse_alloc, {"memory"}, {"memory"}},
    {"vanish", FaultSpec::Kind::vanish, {"batch"}, {"batch"}},
};

FaultSpec read_fault(const ValueAt& item) {
  MapAt block = as_block(item);
  auto kind_value = block.find("kind");
  if (!kind_value) item.fail("missing kind: throw | stall | trap | slow_consumer | refuse_alloc | vanish");
  std::vector<std::string> names;
  for (const auto& k : kKinds) names.push_back(k.name);
  const std::string name = to_choice(*kind_value, names);
  const KindInfo& info = *std::find_if(kKinds.begin(), kKinds.end(), [&](const KindInfo& k) { return k.name == name; });

  std::vector<std::string> known = info.keys;
  known.push_back("kind");
  block.expect_only(known);
  for (const auto& key : info.required)
    if (!block.find(key)) item.fail(fmt::format("a `{}` fault needs `{}`", name, key));

  FaultSpec f;
  f.kind = info.kind;
  if (auto v = block.find("node")) f.node = to_choice(*v, {"read", "transform", "pin", "copy", "compute"});
  if (auto v = block.find("batch")) f.batch = to_integer(*v, {.min = 0});
  if (auto v = block.find("seconds")) {
    f.seconds = to_number(*v, {.min = 0.0, .max = 3600.0});
    if (f.kind == FaultSpec::Kind::slow_consumer && f.seconds <= 0) v->fail("must be > 0: the extra time per batch");
  }
  if (auto v = block.find("memory")) f.memory = to_choice(*v, {"host", "pinned", "device"});
  return f;
}

}  // namespace

std::vector<FaultSpec> read_faults(const ValueAt& value) {
  if (value.node.IsNull()) return {};
  if (!value.node.IsSequence())
    value.fail("expected a sequence of faults, e.g. [{kind: throw, node: read, batch: 3}], got " + describe(value.node));
  std::vector<FaultSpec> faults;
  for (std::size_t i = 0; i < value.node.size(); ++i) {
    const YAML::Node item = value.node[i];
    faults.push_back(read_fault(ValueAt{value.origin, item, item.Mark(), index_key(value.path, i)}));
  }
  return faults;
}

}  // namespace detail
}  // namespace feedgraph
