// tests/test_mshare.cpp — mshare (model/mshare.hpp): reference semantics through the
// windows, the phased flush walk per strategy, every mshare mutant found by explore and
// by check, the fixed model clean per strategy, and each mshare invariant broken by a
// hand-built state.
//
//   default preset: region0 has 2 pages; mm0 owns it and maps it at [0,2),
//   mm1 (forked from mm0) at [2,4): per-process addresses.
//
//     mm0  | w0 w0 | .. .. |        region0: pte[0] pte[1]
//     mm1  | .. .. | w1 w1 |        (one table, linked from both)
#include <catch2/catch.hpp>

#include "tests/cli_run.hpp"
#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;

namespace {

namespace ms {
inline action create(int mm) { return {op::mshare_create, {.mm = mm, .value = 0}}; }
inline action map() { return {op::mshare_map, {.value = 0}}; }
inline action attach(int mm, int at) { return {op::mshare_attach, {.mm = mm, .start = at, .value = 0}}; }
inline action join(int mm) { return {op::mshare_attach_join, {.mm = mm, .value = 0}}; }
inline action detach(int mm) { return {op::mshare_detach, {.mm = mm, .value = 0}}; }
inline action unmap() { return {op::mshare_unmap, {.value = 0}}; }
inline action advise() { return {op::mshare_advise, {.value = 0}}; }
inline action protect() { return {op::mshare_protect, {.value = 0}}; }
inline action flush(int mm) { return {op::mshare_flush, {.mm = mm, .value = 0}}; }
inline action notifier() { return {op::mshare_notifier, {.value = 0}}; }
inline action flush_all() { return {op::mshare_flush_all, {.value = 0}}; }
inline action free() { return {op::mshare_free, {.value = 0}}; }
}  // namespace ms

model::config mshare_cfg(model::mshare_flush f = model::mshare_flush::attacher_list) {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.rmap = model::design::mshare;
    cfg.flush = f;
    return cfg;
}

/// Create, map, fork, two windows at different addresses, mm1 running on cpu1.
const std::vector<action> two_windows = {ms::create(0),       ms::map(),          act::fork(0, 1),
                                         ms::attach(0, 0),    ms::attach(1, 2),   act::switch_mm(1, 1)};

std::vector<action> plus(std::vector<action> a, const std::vector<action>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

/// The steps of the flush walk for both attachers, by strategy.
std::vector<action> walk(model::mshare_flush f) {
    switch (f) {
        case model::mshare_flush::attacher_list: return {ms::flush(0), ms::flush(1), ms::free()};
        case model::mshare_flush::notifier: return {ms::notifier(), ms::free()};
        case model::mshare_flush::flush_all: return {ms::flush_all(), ms::free()};
    }
    return {};
}

}  // namespace

TEST_CASE("mshare: a write through one window is read through the other at its own address", "[mshare]") {
    for (auto f : {model::mshare_flush::attacher_list, model::mshare_flush::notifier, model::mshare_flush::flush_all}) {
        DYNAMIC_SECTION(model::mshare_flush_name(f)) {
            const auto cfg = mshare_cfg(f);
            const auto o = run(cfg, plus(two_windows, {act::write(0, 0, 1, 2), act::read(1, 1, 3)}));
            const auto& s = o.final();
            CHECK(s.tlb[1][1][3].valid);
            CHECK(s.tlb[1][1][3].folio == s.tlb[0][0][1].folio);   // one page, two addresses
            CHECK(read_value(o, 1, 1, 3) == 2);
            CHECK(s.region[0].share == 2);                          // both link the one table
            CHECK(s.region[0].pte[1].present);
            CHECK_FALSE(s.pte[0][1].present);                       // not copied into the process
        }
    }
}

TEST_CASE("mshare: MADV_DONTNEED, protect and teardown reach every attacher per strategy", "[mshare]") {
    for (auto f : {model::mshare_flush::attacher_list, model::mshare_flush::notifier, model::mshare_flush::flush_all}) {
        DYNAMIC_SECTION(model::mshare_flush_name(f)) {
            const auto cfg = mshare_cfg(f);
            const auto cached = plus(two_windows, {act::write(0, 0, 1, 2), act::read(1, 1, 3)});
            SECTION("advise: the page is freed after both are flushed; both read 0") {
                const auto o = run(cfg, plus(plus(cached, {ms::advise()}), walk(f)));
                CHECK(live_folios(o.final()) == 0);
                CHECK(read_value(o, 1, 1, 3) == 0);
                CHECK(read_value(o, 0, 0, 1) == 0);
            }
            SECTION("protect: no write lands afterwards") {
                const auto o = run(cfg, plus(plus(cached, {ms::protect()}), walk(f)));
                auto s = o.final();
                REQUIRE(model::step(cfg, s, act::write(0, 0, 1, 1)));
                CHECK(s.region[0].data[1] == 2);
                CHECK(read_value(cfg, s, 1, 1, 3) == 2);
            }
            SECTION("owner exit: windows removed, region freed; mm1 can no longer read it") {
                const auto o = run(cfg, plus(plus(cached, {act::exit(0)}),
                                             f == model::mshare_flush::attacher_list
                                                 ? std::vector<action>{ms::flush(1), ms::free()}
                                                 : walk(f)));
                const auto& s = o.final();
                CHECK_FALSE(s.region[0].live);
                CHECK(live_folios(s) == 0);
                CHECK(read_value(o, 1, 1, 3) == sigsegv);
            }
            SECTION("detach flushes the process at once") {
                const auto o = run(cfg, plus(cached, {ms::detach(1)}));
                CHECK_FALSE(o.final().tlb[1][1][3].valid);
                CHECK(read_value(o, 1, 1, 3) == sigsegv);
                CHECK(o.final().region[0].share == 1);
            }
        }
    }
}

TEST_CASE("mshare: hand-written mutant traces break the stated invariants", "[mshare][mutant]") {
    struct row {
        model::mutant m;
        std::vector<action> trace;
        inv broken;
    };
    const auto cached = plus(two_windows, {act::write(0, 0, 1, 2), act::read(1, 1, 3)});
    const std::vector<row> rows = {
        {model::mutant::mshare_flush_host_only, plus(cached, {ms::advise(), ms::flush(0), ms::flush(1), ms::free()}),
         inv::no_tlb_to_freed_folio},
        {model::mutant::mshare_flush_host_address, plus(cached, {ms::advise(), ms::flush(0), ms::flush(1), ms::free()}),
         inv::no_tlb_to_freed_folio},
        {model::mutant::mshare_free_before_flush, plus(cached, {ms::advise()}), inv::no_tlb_to_freed_folio},
        {model::mutant::mshare_owner_exit_early_free, plus(cached, {act::exit(0)}), inv::no_tlb_to_freed_folio},
        {model::mutant::mshare_attach_during_flush,
         {ms::create(0), ms::map(), ms::attach(0, 0), act::read(0, 0, 1)}, inv::mshare_attached_list_exact},
    };
    for (const auto& r : rows) {
        const auto& info = model::mutants()[static_cast<int>(r.m)];
        DYNAMIC_SECTION(info.name) {
            auto cfg = mshare_cfg();
            SECTION("fixed model: the same steps are clean (where they are enabled)") {
                auto fixed = cfg;
                auto s = model::initial_state<default_state>(&fixed);
                for (const auto& x : r.trace) {
                    model::step(fixed, s, x);
                    INFO(trace_text(r.trace) << "broken: " << broken_names(fixed, s));
                    CHECK(props::first_violation(fixed, s) == -1);
                }
            }
            SECTION("mutant: the invariant breaks") {
                cfg.inject(r.m);
                const auto o = run(cfg, r.trace, /*check_invariants=*/false);
                INFO(trace_text(r.trace) << "broken: " << broken_names(cfg, o.final()));
                CHECK_FALSE(props::holds(r.broken, cfg, o.final()));
            }
        }
    }
}
