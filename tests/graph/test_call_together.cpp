// CallTogether: the blocking calls of one round run at once, each index once, and a call's exception reaches
// the caller after every call of the round has returned.
#include <doctest/doctest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend/call_together.hpp"

using feedgraph::detail::CallTogether;

TEST_SUITE_BEGIN("graph");

TEST_CASE("CallTogether runs each call of a round once and all of them at once") {
  CallTogether together(3);
  REQUIRE(together.width() == 4);
  for (int n = 1; n <= 4; ++n) {
    CAPTURE(n);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::atomic<int>> called(4);
      std::mutex mutex;
      std::condition_variable all_in;
      int in = 0;
      bool together_seen = true;
      together.run(n, [&](int i) {
        called[static_cast<std::size_t>(i)].fetch_add(1);
        // Each call waits until every call of the round has started: run one after another, they would not.
        std::unique_lock lock(mutex);
        ++in;
        all_in.notify_all();
        if (!all_in.wait_for(lock, std::chrono::seconds(10), [&] { return in == n; })) together_seen = false;
      });
      CHECK(together_seen);
      for (int i = 0; i < 4; ++i) CHECK(called[static_cast<std::size_t>(i)].load() == (i < n ? 1 : 0));
    }
  }
}

TEST_CASE("CallTogether rethrows a call's exception once the round is over and goes on with the next") {
  CallTogether together(2);
  std::atomic<int> returned{0};
  CHECK_THROWS_WITH_AS(together.run(3,
                                    [&](int i) {
                                      if (i == 2) throw std::runtime_error("call 2 failed");
                                      std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                      returned.fetch_add(1);
                                    }),
                       "call 2 failed", std::runtime_error);
  CHECK(returned.load() == 2);  // the others had returned before run() threw
  std::atomic<int> next{0};
  together.run(3, [&](int) { next.fetch_add(1); });
  CHECK(next.load() == 3);
}

TEST_CASE("CallTogether with no helpers runs its one call on the caller's thread") {
  CallTogether alone(0);
  REQUIRE(alone.width() == 1);
  const auto caller = std::this_thread::get_id();
  std::thread::id ran;
  alone.run(1, [&](int) { ran = std::this_thread::get_id(); });
  CHECK(ran == caller);
}

TEST_CASE("CallTogether runs on_start once on each named helper thread before its calls and refuses too many calls") {
  std::mutex mutex;
  std::vector<std::thread::id> started;
  std::vector<std::string> names;
  thread_local bool ready = false;
  CallTogether together(2, "fg-test", [&] {
    ready = true;
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    std::lock_guard lock(mutex);
    started.push_back(std::this_thread::get_id());
    names.emplace_back(name);
  });
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> unready{0};
    together.run(3, [&](int i) {
      if (i > 0 && !ready) unready.fetch_add(1);
    });
    CHECK(unready.load() == 0);
  }
  {
    std::lock_guard lock(mutex);
    CHECK(started.size() == 2);
    if (started.size() == 2) CHECK(started[0] != started[1]);
    CHECK(names == std::vector<std::string>{"fg-test", "fg-test"});
  }
  CHECK_THROWS_AS(together.run(4, [](int) {}), std::invalid_argument);
  CHECK_THROWS_AS(together.run(0, [](int) {}), std::invalid_argument);
  std::atomic<int> after{0};
  together.run(3, [&](int) { after.fetch_add(1); });
  CHECK(after.load() == 3);
}

TEST_CASE("CallTogether hands a helper's failed on_start to each round that gives the helper a call") {
  CallTogether together(1, "fg-test", [] { throw std::runtime_error("no device"); });
  CHECK_THROWS_WITH_AS(together.run(2, [](int) {}), "no device", std::runtime_error);
  std::atomic<int> ran{0};
  together.run(1, [&](int) { ran.fetch_add(1); });  // the caller's own thread needs no start
  CHECK(ran.load() == 1);
  CHECK_THROWS_WITH_AS(together.run(2, [](int) {}), "no device", std::runtime_error);
}

TEST_SUITE_END();
