// tests/test_mremap_walk.cpp — B11 of ../shared/domain/anon-rmap.md: mremap against the
// anon_vma rmap walk's order (need_rmap_locks, 38a76013ad80), with `--phased mremap`
// (model/mremap.hpp) and the anon_vma walk in steps, `--phased walk` (model/anon_walk.hpp).
//
// The trigger of the domain notes: a faulted 2-page region; page 1 moved away; moved back
// so that copy_vma merges it into page 0's VMA, whose vm_pgoff (0) sorts before the
// source's (1) in the anon_vma interval tree; a walk that visits the merged VMA before the
// move and the source after it.  need_rmap_locks makes the move wait for the walk; the
// mutant mremap_skips_rmap_locks lets it run in between, and the walk misses the mapping.
#include <algorithm>
#include <array>

#include <catch2/catch.hpp>

#include "solver/explore.hpp"
#include "solver/narrative.hpp"
#include "solver/random.hpp"
#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;

namespace {

model::config phased_cfg() {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.phase(model::phased_op::walk).phase(model::phased_op::mremap);
    return cfg;
}

action mremap_move(int mm) { return {op::mremap_move, {.mm = mm}}; }
action mremap_done(int mm) { return {op::mremap_done, {.mm = mm}}; }
action walk_begin(int folio) { return {op::anon_walk_begin, {.folio = folio}}; }
const action walk_step{op::anon_walk_step, {}};

/// mmap [0,2), write page 1 (folio0, pgoff 1), move page 1 to 2 and back to 1: the second
/// copy_vma merges it into [0,1) (pgoff 0 <= 1: need_rmap_locks).  Then the walk begins.
const std::vector<action> merge_back = {
    act::mmap(0, 0, 2),   act::write(0, 0, 1, 1), act::mremap(0, 1, 1, 2), mremap_move(0),
    mremap_done(0),       act::mremap(0, 2, 1, 1), walk_begin(0)};

std::vector<int> b11_ops() {
    std::vector<int> ops;
    for (auto k : {op::mmap, op::write, op::mremap, op::mremap_move, op::mremap_done, op::anon_walk_begin,
                   op::anon_walk_step})
        ops.push_back(static_cast<int>(k));
    return ops;
}

/// One mm, two VMA slots, three pages, one folio, one anon_vma, one cpu: the trigger's bounds.
model::config lowered(model::config cfg) {
    cfg.lim = {.mms = 1, .vmas = 2, .va_pages = 3, .folios = 1, .anon_vmas = 1, .cpus = 1};
    return cfg;
}

}  // namespace

TEST_CASE("B11: copy_vma's merge sets need_rmap_locks, and the move waits for the walk that visits the merged VMA "
          "first", "[anon_vma][phased][mremap]") {
    const auto cfg = phased_cfg();
    const auto o = run<default_state>(cfg, merge_back);   // every invariant after every step
    const auto& s = o.final();
    // copy_vma merged [1,2) into [0,1): one VMA [0,2) pgoff 0, and the source [2,3) pgoff 1.
    CHECK(s.mremap_phase.mm == 0);
    CHECK(s.mremap_phase.dest_vma == 0);   // the merged VMA
    CHECK(s.mremap_phase.rmap_locks == 1);
    CHECK(s.walker.folio == 0);
    CHECK(s.walker.curr == 1);          // rmap_one on the merged VMA: nothing there yet
    CHECK(s.walker.pending[0] == 1);    // mm0's mapping (at [2]) not confirmed yet
    CHECK_FALSE(model::enabled(cfg, s, mremap_move(0)));   // take_rmap_locks waits for the walk
    CHECK_FALSE(model::enabled(cfg, s, act::write(0, 0, 0, 2)));   // mmap_lock held for write by mremap
    CHECK_FALSE(model::enabled(cfg, s, act::fork(0, 1)));
    // The walk goes on: the source VMA still maps the folio, it is confirmed, the walk ends;
    // then the move and the unmap run, and everything holds.
    auto rest = merge_back;
    for (const auto& x : {walk_step, mremap_move(0), mremap_done(0), act::read(0, 0, 1)}) rest.push_back(x);
    const auto done = run<default_state>(cfg, rest);
    CHECK(done.after(8).walker.folio == model::nil);
    CHECK(done.after(8).walk_missed == 0);
    CHECK(done.final().pte[0][1].present);
    CHECK(done.final().mremap_phase.mm == model::nil);
    CHECK(done.final().bad_read == false);
}

TEST_CASE("B11: with mremap_skips_rmap_locks the move runs between the walk's two visits and the walk misses the "
          "mapping", "[anon_vma][phased][mremap][mutant]") {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.inject(model::mutant::mremap_skips_rmap_locks);
    CHECK(cfg.has_phase(model::phased_op::walk));   // the mutant brings its phases
    CHECK(cfg.has_phase(model::phased_op::mremap));
    auto trace = merge_back;
    trace.push_back(mremap_move(0));   // without the anon_vma locks: the PTE moves to [1]
    trace.push_back(walk_step);        // the source VMA at [2]: nothing there; the walk ends
    const auto o = run<default_state>(cfg, trace, /*check_invariants=*/false);
    const auto& s = o.final();
    CHECK(s.walker.folio == model::nil);
    CHECK(s.walk_missed == 1);   // mm0 + 1
    CHECK(s.pte[0][1].present);  // mm0 maps the folio, at [1], through the whole walk
    CHECK_FALSE(props::holds(inv::rmap_complete, cfg, s));
    for (std::size_t k = 0; k + 1 < o.states.size(); ++k)   // nothing broken before the walk's end
        CHECK(props::holds(inv::rmap_complete, cfg, o.states[k]));
    // The fixed model (same phases) does not take that step.
    CHECK_FALSE(model::enabled(phased_cfg(), o.after(static_cast<int>(merge_back.size())), mremap_move(0)));
    const auto text = solver::narrative<default_state>(cfg, trace, static_cast<int>(inv::rmap_complete));
    INFO(text);
    CHECK(text.find("WITHOUT the anon_vma locks") != std::string::npos);
    CHECK(text.find("nothing of the folio there") != std::string::npos);
    CHECK(text.find("the last rmap walk ended without reaching mm0") != std::string::npos);
}

TEST_CASE("B11: a new VMA with the source's pgoff is walked after it (need_rmap_locks false is safe)",
          "[anon_vma][phased][mremap]") {
    const auto cfg = phased_cfg();
    // mremap [0,1) to [2,3): a new VMA with pgoff 0, like the source; inserted to its right.
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 2),
                                   walk_begin(0),      mremap_move(0),         walk_step,
                                   mremap_done(0)};
    const auto o = run<default_state>(cfg, t);
    CHECK(o.after(3).mremap_phase.dest_vma == 1);   // a new VMA, in slot 1
    CHECK(o.after(3).mremap_phase.rmap_locks == 0);
    CHECK(o.after(4).walker.pending[0] == 0);   // the source VMA came first and was still mapped
    CHECK(o.final().walk_missed == 0);
}

TEST_CASE("B11: a neighbour merged into with the source's pgoff is walked after it (vma_merge re-inserts its AVCs)",
          "[anon_vma][phased][mremap]") {
    // [0,1) moves to [2,3) (pgoff 0), then back to [0,1): copy_vma expands [1,2) (pgoff 1) to
    // [0,2) with pgoff 0, equal to the source's: need_rmap_locks (<=), and the merged VMA's
    // AVC went back into the tree after the source's.  Even without the locks (the mutant)
    // the walk visits the source first, so it cannot miss the mapping.
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.inject(model::mutant::mremap_skips_rmap_locks);
    const std::vector<action> t = {act::mmap(0, 0, 2),      act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 2),
                                   mremap_move(0),          mremap_done(0),         act::mremap(0, 2, 1, 0),
                                   walk_begin(0),           mremap_move(0),         walk_step,
                                   mremap_done(0)};
    const auto o = run<default_state>(cfg, t);   // every invariant after every step
    CHECK(o.after(6).mremap_phase.dest_vma == 0);
    CHECK(o.after(6).mremap_phase.rmap_locks == 1);
    CHECK(o.after(7).walker.pending[0] == 0);   // the source [2,3) came first, still mapped
    CHECK(o.final().walk_missed == 0);
}

TEST_CASE("B11: explore finds mremap_skips_rmap_locks at its shortest length, and the fixed model is clean past it",
          "[anon_vma][phased][mremap][explore]") {
    using St = model::state<model::concrete, model::preset_default>;
    solver::explore_options eo;
    eo.ops = b11_ops();
    eo.depth = 10;
    auto bad = model::config::defaults<model::preset_default>();
    bad.inject(model::mutant::mremap_skips_rmap_locks);
    const auto r = solver::explore<St>(lowered(bad), eo);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::rmap_complete));
    CHECK(r.trace.size() == 9);
    CHECK(r.clean_depth == 8);
    const auto f = solver::explore<St>(lowered(phased_cfg()), eo);
    INFO(trace_text(f.trace));
    CHECK(f.violated < 0);
    CHECK(f.clean_depth == 10);
}

// ---------------------------------------------------------------------------
// B11's harm: --phased migrate puts remove_migration_ptes() where the walk was.
// ---------------------------------------------------------------------------

TEST_CASE("phased migrate: the entries wait for remove_migration_ptes, which restores them to the new folio",
          "[anon_vma][phased][migrate]") {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.phase(model::phased_op::migrate);
    // A folio shared after fork; cpu1 runs the child.  The walk hands the parent's VMA
    // first (same vm_pgoff, then by mm) and pauses with the child's entry in place.
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(1, 1),
                                   act::migrate(0)};
    const auto o = run<default_state>(cfg, t);   // every invariant after every step
    const auto& s = o.final();
    CHECK(s.walker.folio == 1);          // rmap_walk(dst)
    CHECK(s.walker.migrate_from == 0);   // remove_migration_ptes(src = folio0, dst)
    CHECK(s.pte[0][0].present);
    CHECK(s.pte[0][0].folio == 1);
    CHECK_FALSE(s.pte[1][0].present);
    CHECK(s.migration_entry[1][0].folio == 0);   // the child's entry, to folio0
    CHECK(s.folio[0].allocated);                     // held by the migration
    CHECK(s.folio[1].mapcount == 1);
    CHECK_FALSE(model::enabled(cfg, s, act::read(1, 1, 0)));   // migration_entry_wait
    CHECK_FALSE(model::enabled(cfg, s, act::fork(0, 2)));      // anon_vma_fork waits for the walk
    auto rest = t;
    rest.push_back(walk_step);
    rest.push_back(act::read(1, 1, 0));
    const auto done = run<default_state>(cfg, rest);
    const auto& d = done.final();
    CHECK(d.walker.folio == model::nil);
    CHECK(d.migration_entry[1][0].folio == model::nil);
    CHECK(d.pte[1][0].folio == 1);
    CHECK(d.folio[1].mapcount == 2);
    CHECK_FALSE(d.folio[0].allocated);   // the old folio freed at the end
    CHECK(d.bug == 0);
    CHECK_FALSE(d.bad_read);
    // Without the phase the same migration is one step, with the same outcome.
    const auto one = run<default_state>(model::config::defaults<model::preset_default>(), t);
    CHECK(one.final().pte[1][0].folio == 1);
    CHECK_FALSE(one.final().folio[0].allocated);
}

TEST_CASE("B11's harm: with mremap_skips_rmap_locks the move carries an entry past remove_migration_ptes, which "
          "leaves it behind", "[anon_vma][phased][mremap][migrate]") {
    auto cfg = phased_cfg();
    cfg.phase(model::phased_op::migrate);
    auto t = merge_back;
    t.back() = act::migrate(0);   // the migration's walk where folio_referenced's was
    {
        const auto o = run<default_state>(cfg, t);
        const auto& s = o.final();
        CHECK(s.walker.migrate_from == 0);
        CHECK(s.walker.curr == 1);                       // remove_migration_pte on the merged VMA: no entry there
        CHECK(s.migration_entry[0][2].folio == 0);   // the entry still at the source
        CHECK_FALSE(model::enabled(cfg, s, mremap_move(0)));   // take_rmap_locks waits for the walk
        auto rest = t;
        for (const auto& x : {walk_step, mremap_move(0), mremap_done(0), act::read(0, 0, 1)}) rest.push_back(x);
        const auto done = run<default_state>(cfg, rest);   // every invariant after every step
        CHECK(done.final().pte[0][1].present);
        CHECK(done.final().pte[0][1].folio == 1);
        CHECK_FALSE(done.final().folio[0].allocated);
    }
    auto bad = cfg;
    bad.inject(model::mutant::mremap_skips_rmap_locks);
    auto race = t;
    race.push_back(mremap_move(0));   // the entry moves to page 1, which the walk has passed
    race.push_back(walk_step);        // the source: nothing there; the walk ends
    const auto o = run<default_state>(bad, race, /*check_invariants=*/false);
    CHECK(props::holds(inv::no_kernel_bug, bad, o.after(8)));
    CHECK(o.after(8).migration_entry[0][1].folio == 0);
    CHECK(o.final().bug == static_cast<int>(model::bug::migration_entry_left));
    CHECK_FALSE(props::holds(inv::no_kernel_bug, bad, o.final()));
    CHECK_FALSE(props::holds(inv::rmap_complete, bad, o.final()));
    // explore finds the harm at that length with the harm's invariant alone.
    using St = model::state<model::concrete, model::preset_default>;
    solver::explore_options eo;
    eo.ops = b11_ops();
    eo.ops.push_back(static_cast<int>(op::migrate));
    eo.depth = 10;
    eo.selected = props::inv_set(1) << static_cast<int>(inv::no_kernel_bug);
    auto with_new_folio = [](model::config c) {   // the trigger's bounds and a slot to migrate to
        c = lowered(c);
        c.lim.folios = 2;
        return c;
    };
    const auto r = solver::explore<St>(with_new_folio(bad), eo);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::no_kernel_bug));
    CHECK(r.trace.size() == 9);
    const auto f = solver::explore<St>(with_new_folio(cfg), eo);
    CHECK(f.violated < 0);
    CHECK(f.clean_depth == 10);
}

TEST_CASE("B11: what may run beside a phased mremap and an anon_vma walk", "[anon_vma][phased][mremap]") {
    const auto cfg = phased_cfg();
    // While the walk holds the root anon_vma's lock: no exit, munmap, fork or first fault of a new VMA.
    const std::vector<action> t = {act::mmap(0, 0, 1),     act::write(0, 0, 0, 1), act::fork(0, 1),
                                   act::mmap(1, 2, 1),     act::switch_mm(1, 1),   walk_begin(0)};
    const auto o = run<default_state>(cfg, t);
    const auto& s = o.final();
    CHECK(s.walker.folio == 0);
    CHECK_FALSE(model::enabled(cfg, s, act::exit(1)));
    CHECK_FALSE(model::enabled(cfg, s, act::munmap(0, 0, 1)));
    CHECK_FALSE(model::enabled(cfg, s, act::fork(0, 2)));
    CHECK_FALSE(model::enabled(cfg, s, act::write(1, 1, 2, 1)));   // anon_vma_prepare of [2,3)
    CHECK(model::enabled(cfg, s, act::write(1, 1, 0, 2)));         // a COW fault on a faulted VMA
    CHECK(model::enabled(cfg, s, act::read(0, 0, 0)));
    CHECK(model::enabled(cfg, s, act::mremap(0, 0, 1, 2)) == false);   // copy_vma takes the anon_vma lock
    // Without the phases neither the walk's nor the mremap's extra actions exist.
    auto plain = cfg;
    plain.phased = 0;
    for (const auto& x : model::actions(plain))
        CHECK((x.kind != op::anon_walk_begin && x.kind != op::anon_walk_step && x.kind != op::mremap_move &&
               x.kind != op::mremap_done));
}

TEST_CASE("shrinking drops an operation in parts with its later parts", "[anon_vma][phased][mremap][shrink]") {
    // The 9-step trace: the first mremap's three steps are 2, 3, 4; the walk's are 6 and 8.
    auto trace = merge_back;
    trace.push_back(mremap_move(0));
    trace.push_back(walk_step);
    CHECK(solver::operation_steps(trace, 2) == std::vector<std::size_t>{2, 3, 4});
    CHECK(solver::operation_steps(trace, 5) == std::vector<std::size_t>{5, 7});
    CHECK(solver::operation_steps(trace, 6) == std::vector<std::size_t>{6, 8});
    CHECK(solver::operation_steps(trace, 1) == std::vector<std::size_t>{1});
    // check's seed 5 finds the miss in a 97-step run and shrinks it to 19 steps (before this
    // pass, with the swarm subsets of 848fde0, its 100-step trace shrank to 27, with it to 23).
    // The shrunk trace is 1-minimal for whole operations: no operation can be dropped with
    // its later parts.
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.inject(model::mutant::mremap_skips_rmap_locks);
    solver::random_options o;
    o.seed = 5;
    o.swarm = true;   // check's defaults: swarm, 250 steps per run
    o.steps = 250;
    o.max_steps = 2'000'000;
    const auto r = solver::random_check<default_state>(cfg, o);
    REQUIRE(r.violated == static_cast<int>(inv::rmap_complete));
    INFO(trace_text(r.shrunk));
    CHECK(r.shrunk.size() < r.trace.size());
    int phased_ops = 0;
    for (std::size_t i = 0; i < r.shrunk.size(); ++i) {
        const auto steps = solver::operation_steps(r.shrunk, i);
        phased_ops += steps.size() > 1;
        INFO("dropping the operation at step " << i);
        CHECK_FALSE(solver::breaks<default_state>(cfg, solver::without_steps(r.shrunk, steps), r.violated).has_value());
    }
    CHECK(phased_ops >= 2);   // the mremaps and the walk are in parts
}

TEST_CASE("swarm testing keeps the later parts of a phased operation exactly when it keeps the first part",
          "[anon_vma][phased][mremap][random]") {
    auto has = [](const std::vector<int>& ks, op o) {
        return std::find(ks.begin(), ks.end(), static_cast<int>(o)) != ks.end();
    };
    const solver::picker pick(phased_cfg());
    solver::rng r(7);
    int with_mremap = 0, with_walk = 0;
    for (int run = 0; run < 200; ++run) {
        const auto ks = pick.swarm_kinds(r);
        with_mremap += has(ks, op::mremap);
        with_walk += has(ks, op::anon_walk_begin);
        CHECK(has(ks, op::mremap_move) == has(ks, op::mremap));
        CHECK(has(ks, op::mremap_done) == has(ks, op::mremap));
        CHECK(has(ks, op::anon_walk_step) == has(ks, op::anon_walk_begin));
    }
    // Each operation is still kept about half of the time.
    CHECK((with_mremap > 60 && with_mremap < 140));
    CHECK((with_walk > 60 && with_walk < 140));

    // Without phases the subsets are those of one bit per listed operation, in order (the
    // draw before the coupling), so the runs of a model without phases did not change.
    auto plain = phased_cfg();
    plain.phased = 0;
    const solver::picker pp(plain);
    solver::rng a(11), b(11);
    for (int run = 0; run < 50; ++run) {
        std::vector<int> expect;
        std::array<bool, model::op_count> keep{};
        for (int k = 0; k < model::op_count; ++k) keep[k] = !pp.groups[k].empty() && (b.next() >> 63) != 0;
        for (int k : pp.kinds)
            if (keep[k]) expect.push_back(k);
        if (expect.empty()) expect = pp.kinds;
        CHECK(pp.swarm_kinds(a) == expect);
    }
}
