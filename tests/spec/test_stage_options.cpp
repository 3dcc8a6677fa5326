// StageOptions (options.hpp): a stage's options block read with the file's strictness. Getters check type and
// range at the value's position; reject_unknown() finds the first key no getter asked for, nested blocks too.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "feedgraph/errors.hpp"
#include "feedgraph/options.hpp"
#include "spec_test_util.hpp"

using feedgraph::ConfigError;
using feedgraph::StageOptions;
using spec_test::config_error;
using spec_test::Where;
using spec_test::where;

namespace {

// One key a line, so that each value's column is 1 + the key's length + 2.
constexpr const char* kOptions = R"(mean: 0.5
count: 3
ratio: 2.5
word: abc
quoted: "5"
flag: true
yes_no: yes
kind: spin
shape: [3, 256, 256]
bad_shape: [3, x]
empty: []
big: 4.78e11
sample:
  dtype: float32
  channels: 3
)";

StageOptions options() { return StageOptions::parse(kOptions, "opts.yaml"); }

}  // namespace

TEST_SUITE("spec") {

TEST_CASE("StageOptions getters read typed values and fall back when the key is absent") {
  StageOptions o = options();
  CHECK(o.has("mean"));
  CHECK_FALSE(o.has("absent"));
  CHECK(o.number("mean", 0.0) == 0.5);
  CHECK(o.number("count", 0.0) == 3.0);  // an integer is a number
  CHECK(o.number("big", 0.0) == 4.78e11);
  CHECK(o.integer("count", 0) == 3);
  CHECK(o.boolean("flag", false) == true);
  CHECK(o.text("word", "") == "abc");
  CHECK(o.text("quoted", "") == "5");
  CHECK(o.choice("kind", "checksum", {"checksum", "spin", "matmul"}) == "spin");
  CHECK(o.integers("shape", {}) == std::vector<std::int64_t>{3, 256, 256});
  CHECK(o.number("absent", 1.5) == 1.5);
  CHECK(o.integer("absent", 7) == 7);
  CHECK(o.boolean("absent", true) == true);
  CHECK(o.text("absent", "x") == "x");
  CHECK(o.choice("absent", "checksum", {"checksum"}) == "checksum");
  CHECK(o.integers("absent", {1, 2}) == std::vector<std::int64_t>{1, 2});
  CHECK(StageOptions::parse("{n: -4, x: +2.5}").integer("n", 0) == -4);
  CHECK(StageOptions::parse("{n: -4, x: +2.5}").number("x", 0) == 2.5);
}

TEST_CASE("StageOptions getters reject a wrong type at the value") {
  StageOptions o = options();
  ConfigError e = config_error([&] { o.integer("ratio", 0); });
  CHECK(where(e) == Where{"opts.yaml", 3, 8, "ratio"});
  CHECK(e.message() == "expected an integer, got '2.5'");

  e = config_error([&] { o.integer("word", 0); });
  CHECK(where(e) == Where{"opts.yaml", 4, 7, "word"});
  CHECK(e.message() == "expected an integer, got 'abc'");

  e = config_error([&] { o.integer("quoted", 0); });
  CHECK(where(e) == Where{"opts.yaml", 5, 9, "quoted"});
  CHECK(e.message() == "expected an integer, got the string \"5\"");

  e = config_error([&] { o.number("word", 0); });
  CHECK(where(e) == Where{"opts.yaml", 4, 7, "word"});
  CHECK(e.message() == "expected a number, got 'abc'");

  e = config_error([&] { o.boolean("yes_no", false); });
  CHECK(where(e) == Where{"opts.yaml", 7, 9, "yes_no"});
  CHECK(e.message() == "expected true or false, got 'yes'");

  e = config_error([&] { o.text("shape", ""); });
  CHECK(where(e) == Where{"opts.yaml", 9, 8, "shape"});
  CHECK(e.message() == "expected a string, got a sequence");

  e = config_error([&] { o.number("sample", 0); });
  CHECK(where(e) == Where{"opts.yaml", 14, 3, "sample"});  // a block mapping starts at its first key
  CHECK(e.message() == "expected a number, got a mapping");

  e = config_error([] { StageOptions::parse("{x: inf}").number("x", 0); });
  CHECK(e.message() == "expected a finite number, got 'inf'");
  CHECK_THROWS_AS(StageOptions::parse("{x: .inf}").number("x", 0), ConfigError);
  CHECK_THROWS_AS(StageOptions::parse("{x: 0x10}").integer("x", 0), ConfigError);
  CHECK_THROWS_AS(StageOptions::parse("{x: 99999999999999999999}").integer("x", 0), ConfigError);
}

TEST_CASE("StageOptions getters check ranges and choices at the value") {
  StageOptions o = options();
  ConfigError e = config_error([&] { o.integer("count", 0, {.min = 4}); });
  CHECK(where(e) == Where{"opts.yaml", 2, 8, "count"});
  CHECK(e.message() == "must be >= 4 (got 3)");

  e = config_error([&] { o.integer("count", 0, {.max = 2}); });
  CHECK(e.message() == "must be <= 2 (got 3)");

  e = config_error([&] { o.number("mean", 1.0, {.greater_than = 0.5}); });
  CHECK(where(e) == Where{"opts.yaml", 1, 7, "mean"});
  CHECK(e.message() == "must be > 0.5 (got 0.5)");
  CHECK(o.number("mean", 1.0, {.min = 0.5, .max = 0.5}) == 0.5);  // inclusive bounds

  e = config_error([&] { o.choice("word", "checksum", {"checksum", "spin", "matmul"}); });
  CHECK(where(e) == Where{"opts.yaml", 4, 7, "word"});
  CHECK(e.message() == "must be one of: checksum, spin, matmul (got 'abc')");
}

TEST_CASE("StageOptions::integers wants a non-empty sequence and points at a bad element") {
  StageOptions o = options();
  ConfigError e = config_error([&] { o.integers("empty", {1}); });
  CHECK(where(e) == Where{"opts.yaml", 11, 8, "empty"});
  CHECK(e.message() == "expected a non-empty sequence of integers, got []");

  e = config_error([&] { o.integers("bad_shape", {}); });
  CHECK(where(e) == Where{"opts.yaml", 10, 16, "bad_shape[1]"});
  CHECK(e.message() == "expected an integer, got 'x'");

  e = config_error([&] { o.integers("shape", {}, {.max = 255}); });
  CHECK(where(e) == Where{"opts.yaml", 9, 12, "shape[1]"});

  e = config_error([&] { o.integers("count", {}); });
  CHECK(where(e) == Where{"opts.yaml", 2, 8, "count"});
}

TEST_CASE("StageOptions::child reads a nested block or an empty one when absent") {
  StageOptions o = options();
  StageOptions sample = o.child("sample");
  CHECK(sample.path() == "sample");
  CHECK(sample.text("dtype", "") == "float32");
  CHECK(sample.integer("channels", 0) == 3);

  StageOptions none = o.child("absent");
  CHECK(none.path() == "absent");
  CHECK_FALSE(none.has("x"));
  CHECK(none.integer("x", 5) == 5);

  ConfigError e = config_error([&] { o.child("word"); });
  CHECK(where(e) == Where{"opts.yaml", 4, 7, "word"});
  CHECK(e.message() == "expected a mapping, got 'abc'");

  e = config_error([&] { sample.integer("dtype", 0); });
  CHECK(where(e) == Where{"opts.yaml", 14, 10, "sample.dtype"});
}

TEST_CASE("StageOptions::fail points at the key's value or at the block when the key is absent") {
  StageOptions o = StageOptions::parse("kind: spin\nsample: {shape: [3]}\n", "opts.yaml");
  ConfigError e = config_error([&] { o.fail("kind", "no such kernel"); });
  CHECK(where(e) == Where{"opts.yaml", 1, 7, "kind"});
  CHECK(std::string(e.what()) == "opts.yaml:1:7: kind: no such kernel");

  StageOptions sample = o.child("sample");
  e = config_error([&] { sample.fail("dtype", "required"); });
  CHECK(where(e) == Where{"opts.yaml", 2, 9, "sample.dtype"});
  e = config_error([&] { sample.fail("", "bad sample"); });
  CHECK(where(e) == Where{"opts.yaml", 2, 9, "sample"});
}

TEST_CASE("reject_unknown names the first key in file order that no getter asked for and lists the known ones") {
  StageOptions o = StageOptions::parse("std: 2\nmaen: 0.5\nextra: 1\n", "opts.yaml");
  o.number("mean", 0.0);
  o.number("std", 1.0);
  ConfigError e = config_error([&] { o.reject_unknown(); });
  CHECK(where(e) == Where{"opts.yaml", 2, 1, "maen"});
  CHECK(e.message() == "unknown key 'maen' (known: mean, std); did you mean 'mean'?");
}

TEST_CASE("reject_unknown checks the nested blocks that were read and rejects those that were not") {
  StageOptions o = StageOptions::parse(R"(samples: 8
sample:
  shape: [3, 4]
  dtpye: float32
)",
                                       "opts.yaml");
  o.integer("samples", 0);
  SUBCASE("a stray key inside a child block is found by the parent's check") {
    StageOptions sample = o.child("sample");
    sample.integers("shape", {});
    sample.text("dtype", "float32");
    ConfigError e = config_error([&] { o.reject_unknown(); });
    CHECK(where(e) == Where{"opts.yaml", 4, 3, "sample.dtpye"});
    CHECK(e.message() == "unknown key 'dtpye' (known: shape, dtype); did you mean 'dtype'?");
    CHECK_THROWS_AS(sample.reject_unknown(), ConfigError);
  }
  SUBCASE("a block no getter asked for is itself unknown") {
    ConfigError e = config_error([&] { o.reject_unknown(); });
    CHECK(where(e) == Where{"opts.yaml", 2, 1, "sample"});
  }
  SUBCASE("nothing unknown: no error") {
    StageOptions sample = o.child("sample");
    sample.integers("shape", {});
    sample.text("dtpye", "");
    o.reject_unknown();
  }
}

TEST_CASE("a key asked for through a copy counts for every copy: twins share their stages' options") {
  StageOptions o = StageOptions::parse("{std: 2}");
  StageOptions copy = o;
  copy.number("std", 1.0);
  o.reject_unknown();
  CHECK(copy.same_block(o));
}

TEST_CASE("StageOptions without a block has no keys and takes every fallback") {
  StageOptions none;
  CHECK(none.path().empty());
  CHECK_FALSE(none.has("x"));
  CHECK(none.number("x", 2.0) == 2.0);
  CHECK(none.child("y").integer("z", 3) == 3);
  none.reject_unknown();
  CHECK_THROWS_AS(none.fail("x", "always"), ConfigError);
  StageOptions::parse("").reject_unknown();
  StageOptions::parse("# only a comment\n").reject_unknown();
}

TEST_CASE("StageOptions::parse rejects bad YAML and a non-mapping and duplicate keys") {
  ConfigError e = config_error([] { StageOptions::parse("{a: 1", "opts.yaml"); });
  CHECK(e.file() == "opts.yaml");
  CHECK(e.line() == 1);
  CHECK(e.message() == "end of map flow not found");

  e = config_error([] { StageOptions::parse("[1, 2]"); });
  CHECK(where(e) == Where{"<code>", 1, 1, ""});
  CHECK(e.message() == "expected a mapping of options, got a sequence");

  e = config_error([] { StageOptions::parse("a: 1\nb: 2\na: 3\n", "opts.yaml"); });
  CHECK(where(e) == Where{"opts.yaml", 3, 1, "a"});
  CHECK(e.message() == "duplicate key 'a' (first at line 1)");
}

TEST_CASE("StageOptions::numbers reads one number or a sequence and points at a bad element") {
  StageOptions o = options();
  CHECK(o.numbers("mean", {}) == std::vector<double>{0.5});
  CHECK(o.numbers("shape", {}) == std::vector<double>{3, 256, 256});
  CHECK(o.numbers("absent", {1.0, 2.0}) == std::vector<double>{1.0, 2.0});
  ConfigError e = config_error([&] { o.numbers("empty", {}); });
  CHECK(where(e) == Where{"opts.yaml", 11, 8, "empty"});
  CHECK(e.message() == "expected a number or a non-empty sequence of numbers, got []");
  e = config_error([&] { o.numbers("bad_shape", {}); });
  CHECK(where(e) == Where{"opts.yaml", 10, 16, "bad_shape[1]"});
  CHECK(e.message() == "expected a number, got 'x'");
  e = config_error([&] { o.numbers("shape", {}, {.max = 255}); });
  CHECK(where(e) == Where{"opts.yaml", 9, 12, "shape[1]"});
  e = config_error([&] { o.numbers("word", {}); });
  CHECK(e.message() == "expected a number, got 'abc'");
}

TEST_CASE("StageOptions::texts reads a non-empty sequence of strings") {
  StageOptions o = StageOptions::parse("{ext: [jpg, JPEG], one: jpg, none: []}", "t.yaml");
  CHECK(o.texts("ext", {}) == std::vector<std::string>{"jpg", "JPEG"});
  CHECK(o.texts("absent", {"a"}) == std::vector<std::string>{"a"});
  CHECK(config_error([&] { o.texts("one", {}); }).message() == "expected a non-empty sequence of strings, got 'jpg'");
  CHECK(config_error([&] { o.texts("none", {}); }).message() == "expected a non-empty sequence of strings, got []");
}

}  // TEST_SUITE("spec")
