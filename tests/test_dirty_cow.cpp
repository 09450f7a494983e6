// tests/test_dirty_cow.cpp — forced writes (/proc/self/mem, FOLL_FORCE|FOLL_WRITE) and
// the dirty_cow mutant (CVE-2016-5195, fix 19be0eaffa3a).
//
// The race: a forced write to a read-only private mapping breaks COW (phase 1,
// mem_write_faultin), MADV_DONTNEED zaps the fresh copy, and the retry (phase 2,
// mem_write) follows whatever is mapped.  Fixed: FOLL_WRITE stays set, the retry
// write-faults a new exclusive page and the write lands there.  Mutant: FOLL_WRITE was
// dropped, the retry read-faults the shared zero page and writes into it.
#include "tests/cli_run.hpp"
#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;
using S = default_state;

namespace {

const std::vector<action> race = {
    act::mmap(0, 0, 1), act::mprotect(0, 0, 1, false), act::mem_write_faultin(0, 0), act::madv_dontneed(0, 0, 1),
    act::mem_write(0, 0, 2),
};

/// Runs the trace; every step must be taken.  Returns the state after it.
S run(const model::config& cfg, const std::vector<action>& trace) {
    S s = model::initial_state<S>(&cfg);
    for (std::size_t k = 0; k < trace.size(); ++k) {
        INFO(trace_text(trace, static_cast<int>(k) + 1));
        REQUIRE(model::step(cfg, s, trace[k]));
    }
    return s;
}

}  // namespace

TEST_CASE("forced write to a read-only mapping: COW into an exclusive page, PTE stays read-only", "[gup][dirty_cow]") {
    const auto cfg = model::config::defaults<model::preset_default>();
    const S s = run(cfg, {act::mmap(0, 0, 1), act::mprotect(0, 0, 1, false), act::mem_write_faultin(0, 0)});
    CHECK(s.pte[0][0].present);
    CHECK_FALSE(s.pte[0][0].writable);   // maybe_mkwrite: no VM_WRITE
    REQUIRE(s.pte[0][0].folio.v < model::zero_pfn);
    CHECK(s.folio[s.pte[0][0].folio.v].anon_exclusive);
    CHECK(s.mm[0].foll_force);
    // The GUP holds the mmap_lock for read: writers wait, MADV_DONTNEED does not.
    CHECK_FALSE(model::enabled(cfg, s, act::munmap(0, 0, 1)));
    CHECK_FALSE(model::enabled(cfg, s, act::mprotect(0, 0, 1, true)));
    CHECK_FALSE(model::enabled(cfg, s, act::fork(0, 1)));
    CHECK_FALSE(model::enabled(cfg, s, act::mem_write_faultin(0, 0)));
    CHECK(model::enabled(cfg, s, act::madv_dontneed(0, 0, 1)));
    CHECK_FALSE(model::enabled(cfg, s, act::mem_write(0, 1, 2)));   // another page: not this GUP
}

TEST_CASE("fixed model: the race with MADV_DONTNEED writes a new exclusive page", "[gup][dirty_cow]") {
    const auto cfg = model::config::defaults<model::preset_default>();
    S s = run(cfg, race);
    INFO("broken: " << broken_names(cfg, s));
    CHECK(props::first_violation(cfg, s) == -1);
    CHECK(s.zero_page.v == 0);
    REQUIRE(s.pte[0][0].folio.v < model::zero_pfn);
    CHECK(s.folio[s.pte[0][0].folio.v].content.v == 2);
    CHECK(s.folio[s.pte[0][0].folio.v].anon_exclusive);
    CHECK(s.ref[0][0].v == 2);
    CHECK_FALSE(s.mm[0].foll_force);
    // A read by the process sees its write; another page's zero-page read still sees 0.
    REQUIRE(model::step(cfg, s, act::read(0, 0, 0)));
    CHECK_FALSE(s.bad_read);
}

TEST_CASE("dirty_cow: the retry after MADV_DONTNEED writes the shared zero page", "[gup][dirty_cow][mutant]") {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.inject(model::mutant::dirty_cow);
    S s = run(cfg, race);
    CHECK(s.pte[0][0].folio.v == model::zero_pfn);
    CHECK(s.zero_page.v == 2);
    CHECK(props::first_violation(cfg, s) == static_cast<int>(inv::zero_page_never_written));
    // The harm: another process's never-written page reads the written value.
    auto harm = race;
    for (const auto& x : {act::fork(0, 1), act::mmap(1, 1, 1), act::switch_mm(0, 1), act::read(0, 1, 1)})
        harm.push_back(x);
    const auto sel = props::inv_set(1) << static_cast<int>(inv::reads_match_reference);
    S h = model::initial_state<S>(&cfg);
    for (const auto& x : harm) REQUIRE(model::step(cfg, h, x));
    CHECK(h.bad_read);
    CHECK(props::first_violation(cfg, h, sel) == static_cast<int>(inv::reads_match_reference));
}

TEST_CASE("dirty_cow without the race: the write lands in the exclusive COW copy", "[gup][dirty_cow][mutant]") {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.inject(model::mutant::dirty_cow);
    const S s = run(cfg, {act::mmap(0, 0, 1), act::mprotect(0, 0, 1, false), act::mem_write_faultin(0, 0),
                          act::mem_write(0, 0, 2)});
    CHECK(props::first_violation(cfg, s) == -1);
    REQUIRE(s.pte[0][0].folio.v < model::zero_pfn);
    CHECK(s.folio[s.pte[0][0].folio.v].content.v == 2);
}

TEST_CASE("explore finds dirty_cow at its minimal length, 5 steps, and the fixed model is clean there",
          "[gup][dirty_cow][explore]") {
    const auto out = cli_test::run("explore --bounds small --depth 5 --inject dirty_cow");
    INFO(out.out);
    REQUIRE(out.code == 1);
    CHECK(out.out.find("zero_page_never_written") != std::string::npos);
    CHECK(out.out.find("MADV_DONTNEED") != std::string::npos);
    CHECK(out.out.find("depth 5") != std::string::npos);
    const auto fixed = cli_test::run("explore --bounds small --depth 5");
    INFO(fixed.out);
    CHECK(fixed.code == 0);
}
