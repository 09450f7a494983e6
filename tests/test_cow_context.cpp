// tests/test_cow_context.cpp — the COW context design (model/cow_context.hpp).
//
// Scenario tables for the lifetime rules (contexts from mm_init, linked at fork,
// kept while children and folios point at them, freed up the ancestry), the remap
// records as coded, and the holes of the proof of concept the engines found
// (docs/cow-context-findings.md): each hole's trace violates rmap_complete on the
// PoC as coded and is clean with its --cow-fix; the same traces are clean under
// anon_vma, so the hole is the design's, not the trace's.
#include <set>

#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;

namespace {

model::config cow_cfg(std::initializer_list<model::cow_fix> fixes = {}) {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.rmap = model::design::cow_context;
    for (auto f : fixes) cfg.fix(f);
    return cfg;
}

model::config all_fixes() {
    auto cfg = cow_cfg();
    for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    return cfg;
}

int live_contexts(const default_state& s) {
    int n = 0;
    for (const auto& x : s.cow_ctx) n += x.live;
    return n;
}

int ctx_of(const default_state& s, int m) { return s.mm[m].cow_context.get(); }

/// The mappings (mm, vpage) the design's walk from folio f hands to rmap_one that
/// really map f (what page_vma_mapped_walk confirms).
std::set<std::pair<int, int>> confirmed(const model::config& cfg, const default_state& s, int f) {
    std::set<std::pair<int, int>> out;
    default_state t = s;
    model::rmap::walk(cfg, t, model::cint(f), true, [&](bool visit, int m, int, model::cint vp) {
        if (!visit || vp.get() >= model::preset_default::va_pages) return;
        const auto& p = s.pte[m][vp.get()];
        if (p.present && p.folio == f) out.insert({m, vp.get()});
    });
    return out;
}

/// Every PTE mapping folio f, as (mm, vpage).
std::set<std::pair<int, int>> mappings(const default_state& s, int f) {
    std::set<std::pair<int, int>> out;
    for (int m = 0; m < model::preset_default::mms; ++m)
        for (int v = 0; v < model::preset_default::va_pages; ++v)
            if (s.pte[m][v].present && s.pte[m][v].folio == f) out.insert({m, v});
    return out;
}

}  // namespace

TEST_CASE("cow_context: contexts are born with the mm, linked at fork, counted exactly", "[cow_context]") {
    const auto cfg = cow_cfg();
    const auto o = run<default_state>(cfg, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1)});
    const auto& s = o.final();
    const int c0 = ctx_of(s, 0), c1 = ctx_of(s, 1);
    CHECK(ctx_of(o.after(0), 0) == 0);                 // mm_init_cow_context for the initial mm
    CHECK(c0 != c1);
    CHECK(live_contexts(s) == 2);
    CHECK(s.cow_ctx[c1].parent == c0);                 // dup_cow_context
    CHECK(s.cow_ctx[c0].first_child == c1);
    CHECK(s.cow_ctx[c0].refcount == 3);                // the mm, the child, the folio
    CHECK(s.cow_ctx[c1].refcount == 1);                // the mm
    CHECK(s.folio[0].cow_context == c0);               // __folio_set_anon_cow at the first fault
    CHECK(s.folio[0].mapping == model::nil);           // folio->mapping is only the anon tag
    CHECK(s.vma[0][0].anon_vma == model::cow::dummy_anon_vma);
    CHECK(s.vma[1][0].anon_vma == model::cow::dummy_anon_vma);   // anon_vma_fork copies the pointer
    CHECK(live_anon_vmas(s) == 0);                     // no anon_vma and no AVC is ever allocated
    // The walk from the shared folio reaches both mappings: the parent's, then the child's.
    CHECK(confirmed(cfg, s, 0) == mappings(s, 0));
}

TEST_CASE("cow_context: COW reuse moves the folio to the faulting mm's context", "[cow_context]") {
    const auto cfg = cow_cfg();
    // Parent writes first (copy: a new folio in its own context), then the child's write
    // reuses the old folio, now mapped once: folio_move_anon_rmap moves it to mm1's context.
    const auto o = run<default_state>(cfg, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                            act::switch_mm(1, 1), act::write(1, 1, 0, 2), act::write(0, 0, 0, 3)},
                                      /*check_invariants=*/false);
    const auto& s = o.final();
    // The child wrote first: its copy (folio 1) lives in mm1's context; then mm0's write
    // reused folio 0 (now mapped once), which already is in mm0's context: no move.
    CHECK(s.folio[0].cow_context == ctx_of(s, 0));
    CHECK(s.pte[1][0].folio == 1);
    CHECK(s.folio[1].cow_context == ctx_of(s, 1));
    CHECK(broken_names(cfg, s).empty());

    // The other order: the parent copies, the child reuses and the folio moves down.
    const auto p = run<default_state>(cfg, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                            act::write(0, 0, 0, 3), act::switch_mm(1, 1), act::write(1, 1, 0, 2)},
                                      /*check_invariants=*/false);
    const auto& t = p.final();
    CHECK(t.pte[1][0].folio == 0);
    CHECK(t.folio[0].cow_context == ctx_of(t, 1));     // moved: get mm1's, put mm0's
    CHECK(t.cow_ctx[ctx_of(t, 0)].refcount == 3);      // mm0, child mm1, folio 1
    CHECK(t.cow_ctx[ctx_of(t, 1)].refcount == 2);      // mm1, folio 0
    CHECK(broken_names(cfg, t).empty());
}

TEST_CASE("cow_context: a dead parent's context lives on, then is freed up the ancestry", "[cow_context]") {
    const auto cfg = cow_cfg();
    const std::vector<action> trace = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                       act::switch_mm(0, 1), act::exit(0)};
    const auto o = run<default_state>(cfg, trace);   // every invariant after every step
    const auto& s = o.final();
    const int c0 = ctx_of(o.after(3), 0), c1 = ctx_of(s, 1);
    REQUIRE(s.cow_ctx[c0].live);                  // kept by its child and its folio
    CHECK(s.cow_ctx[c0].mm == model::nil);        // drop_cow_context: context->mm = NULL
    CHECK(s.cow_ctx[c0].refcount == 2);
    // The walk passes through the dead context to the child's mapping.
    CHECK(confirmed(cfg, s, 0) == mappings(s, 0));
    // The child reuses the folio (moved to its context, the dead one loses the folio's
    // reference), then execs: its context and, by the cascade, the parent's are freed.
    const auto p = run<default_state>(cfg, [&] {
        auto t = trace;
        t.push_back(act::write(0, 1, 0, 2));
        t.push_back(act::execve(1));
        return t;
    }());
    const auto& f = p.final();
    CHECK(p.after(6).folio[0].cow_context == c1);   // folio_move_anon_rmap: the dead context's mm is NULL
    CHECK(p.after(6).cow_ctx[c0].refcount == 1);    // only the child's reference is left
    CHECK(live_contexts(f) == 1);                   // both old contexts freed; only the new mm's
    const auto& x = f.cow_ctx[ctx_of(f, 1)];
    CHECK(x.mm == 1);
    CHECK(x.parent == model::nil);
    CHECK(x.refcount == 1);
}

TEST_CASE("cow_context: remap records follow mremap as coded", "[cow_context]") {
    const auto cfg = all_fixes();
    // [0,2) faulted at both pages, moved whole to [2,4): offset 2 over pgoffs [0,1].
    const std::vector<action> moved = {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 2),
                                       act::mremap(0, 0, 2, 2)};
    const auto o = run<default_state>(cfg, moved);
    const auto& x = o.final().cow_ctx[ctx_of(o.final(), 0)];
    for (int p = 0; p < 2; ++p) {
        CHECK(x.rstart[p] == 0);                  // one maple-tree entry [0, 1]
        CHECK(x.rnr[p] == 1);                     // a simple entry
        CHECK(x.roff[p][0] == 2);
    }
    CHECK(x.rstart[2] == model::nil);
    CHECK(confirmed(cfg, o.final(), 0) == mappings(o.final(), 0));
    // Moving it back to where it was: the new VMA has offset 0, so should_track_remap()
    // is false and __cow_context_do_remap returns before its !new_offset branch, and the
    // source's remove_vma() runs cow_context_vma_unmap() after unlink_anon_vmas(): the
    // record stays (stale: it costs walk time, it loses nothing).
    auto kept = cfg;
    kept.cow_fixed &= ~(1u << static_cast<int>(model::cow_fix::unmap_removes_records));
    const auto back = [&] { auto t = moved; t.push_back(act::mremap(0, 2, 2, 0)); return t; }();
    const auto p = run<default_state>(kept, back);
    const auto& y = p.final().cow_ctx[ctx_of(p.final(), 0)];
    CHECK(y.rstart[0] == 0);
    CHECK(y.rstart[1] == 0);
    CHECK(y.roff[0][0] == 2);
    // With unmap_removes_records the source's cow_context_vma_unmap() comes before
    // unlink_anon_vmas(), so find_and_unmap_existing() removes offset 2 over [0, 1].
    const auto r = run<default_state>(cfg, back);
    const auto& e = r.final().cow_ctx[ctx_of(r.final(), 0)];
    CHECK(e.rstart[0] == model::nil);
    CHECK(e.rstart[1] == model::nil);
    // A munmap of a part removes the record of that part only (the entry is split first).
    const auto part = run<default_state>(cfg, [&] { auto t = moved; t.push_back(act::munmap(0, 2, 1)); return t; }());
    const auto& h = part.final().cow_ctx[ctx_of(part.final(), 0)];
    CHECK(h.rstart[0] == model::nil);
    CHECK(h.rstart[1] == 1);
    CHECK(h.rnr[1] == 1);
    CHECK(h.roff[1][0] == 2);
    CHECK(confirmed(cfg, part.final(), 0) == mappings(part.final(), 0));
    // Moving a moved VMA again rewrites its record in place (find_and_remap_existing).
    const auto q = run<default_state>(cfg, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1),
                                            act::mremap(0, 1, 1, 2)});
    CHECK(q.after(3).cow_ctx[0].roff[0][0] == 1);
    const auto& z = q.final().cow_ctx[ctx_of(q.final(), 0)];
    CHECK(z.rnr[0] == 1);
    CHECK(z.roff[0][0] == 2);
    CHECK(confirmed(cfg, q.final(), 0) == mappings(q.final(), 0));
}

// ---------------------------------------------------------------------------
// The holes of the PoC as coded (docs/cow-context-findings.md).
// ---------------------------------------------------------------------------

namespace {

struct hole {
    const char* name;
    std::vector<action> trace;
    int folio;                                 // the folio whose walk misses a mapping
    std::vector<model::cow_fix> not_enough;    // fixes under which the trace still misses it
    std::vector<model::cow_fix> closed_by;     // the fixes that make it clean
};

const std::vector<hole>& holes() {
    using F = model::cow_fix;
    static const std::vector<hole> all = {
        {"moved exclusive folio: walk_context stops after offset 0 found nothing",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1)},
         0, {F::fork_records_remaps, F::remap_clips_entries, F::copy_vma_merge_records}, {F::early_stop_if_found}},
        {"parent COW-copies after fork: the folio is mapped once, by the child, and the walk stops in the parent",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::write(0, 0, 0, 2)},
         0, {F::fork_records_remaps, F::remap_clips_entries, F::copy_vma_merge_records}, {F::early_stop_if_found}},
        {"fork of a moved VMA: the child's context has no record of the inherited offset",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1), act::fork(0, 1)},
         0, {F::early_stop_if_found, F::remap_clips_entries, F::copy_vma_merge_records},
         {F::early_stop_if_found, F::fork_records_remaps}},
        {"partial mremap of a moved VMA: find_and_remap_existing rewrites the whole entry",
         {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 2), act::mremap(0, 0, 2, 2),
          act::mremap(0, 2, 1, 1)},
         1, {F::early_stop_if_found, F::fork_records_remaps, F::copy_vma_merge_records},
         {F::early_stop_if_found, F::remap_clips_entries}},
        {"mremap merged into a moved neighbour: copy_vma's merged path records nothing",
         {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 2), act::mremap(0, 0, 1, 2),
          act::mremap(0, 1, 1, 3)},
         1, {F::early_stop_if_found, F::fork_records_remaps, F::remap_clips_entries},
         {F::early_stop_if_found, F::copy_vma_merge_records}},
        {"VM_WIPEONFORK child of a moved VMA: its first fault is never recorded",
         {act::mmap(0, 0, 1), act::madv_wipeonfork(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1),
          act::fork(0, 1), act::switch_mm(1, 1), act::write(1, 1, 1, 5)},
         1, {F::early_stop_if_found, F::fork_records_remaps, F::remap_clips_entries, F::copy_vma_merge_records},
         {F::early_stop_if_found, F::fault_records_remap}},
        {"a smaller offset appended to a (stale) record: __dynarray_append_value overwrites the larger one",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 3), act::mremap(0, 3, 1, 0),
          act::mremap(0, 0, 1, 1)},
         0, {F::early_stop_if_found, F::fork_records_remaps, F::remap_clips_entries, F::copy_vma_merge_records,
             F::fault_records_remap},
         {F::early_stop_if_found, F::dynarray_insert_moves}},
    };
    return all;
}

}  // namespace

TEST_CASE("cow_context holes: rmap_complete fails as coded, holds with the fix, holds under anon_vma",
          "[cow_context][finding]") {
    for (const auto& h : holes()) {
        DYNAMIC_SECTION(h.name) {
            INFO(trace_text(h.trace));
            for (bool partial : {false, true}) {
                auto cfg = cow_cfg();
                if (partial)
                    for (auto f : h.not_enough) cfg.fix(f);
                INFO((partial ? "with the fixes that are not enough" : "as coded"));
                const auto o = run<default_state>(cfg, h.trace, /*check_invariants=*/false);
                CHECK_FALSE(props::holds(inv::rmap_complete, cfg, o.final()));
                CHECK(confirmed(cfg, o.final(), h.folio) != mappings(o.final(), h.folio));
                // The consequence: migration of the folio fails (a mapping was missed, so
                // try_to_migrate leaves it mapped and remove_migration_ptes restores it),
                // or, where the restoring walk stops early too, it leaves a migration entry
                // behind (finding 13's BUG): never a migrated folio.
                auto s = o.final();
                REQUIRE(model::enabled(cfg, s, act::migrate(h.folio)));
                REQUIRE(model::step(cfg, s, act::migrate(h.folio)));
                CHECK(s.folio[h.folio].allocated);
                if (s.bug.get() == static_cast<int>(model::bug::migration_entry_left))
                    CHECK(mappings(s, h.folio).size() < mappings(o.final(), h.folio).size());
                else
                    CHECK(mappings(s, h.folio) == mappings(o.final(), h.folio));
            }
            {
                auto cfg = cow_cfg();
                for (auto f : h.closed_by) cfg.fix(f);
                const auto o = run<default_state>(cfg, h.trace);   // every invariant after every step
                CHECK(confirmed(cfg, o.final(), h.folio) == mappings(o.final(), h.folio));
                auto s = o.final();
                REQUIRE(model::step(cfg, s, act::migrate(h.folio)));
                CHECK(mappings(s, h.folio).empty());   // migrated: every mapping now maps the new folio
            }
            run<default_state>(model::config::defaults<model::preset_default>(), h.trace);
        }
    }
}

TEST_CASE("cow_context finding 13: remove_migration_ptes stops after the first entry it restores",
          "[cow_context][finding]") {
    // A folio shared by parent and child after fork.  try_to_migrate turns both PTEs into
    // migration entries (the map count falls to 0); remove_migration_ptes walks from the
    // parent's context with the count at 0, restores the parent's entry at offset 0, sees
    // the count at 1 ("still not mapped shared") and ends the walk: the child's entry stays.
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::migrate(0)};
    const int entry_left = static_cast<int>(model::bug::migration_entry_left);
    for (bool found_fix : {false, true}) {
        INFO((found_fix ? "with early_stop_if_found (the entry restored is found)" : "as coded"));
        auto cfg = found_fix ? cow_cfg({model::cow_fix::early_stop_if_found}) : cow_cfg();
        const auto o = run<default_state>(cfg, t, /*check_invariants=*/false);
        CHECK(props::holds(inv::no_kernel_bug, cfg, o.after(3)));
        CHECK(o.final().bug.get() == entry_left);
        CHECK_FALSE(props::holds(inv::no_kernel_bug, cfg, o.final()));
        CHECK(mappings(o.final(), 1).size() == 1);   // the folio migrated to slot 1: the parent's PTE only
    }
    for (auto cfg : {cow_cfg({model::cow_fix::exclusive_at_walk_start}), all_fixes(),
                     model::config::defaults<model::preset_default>()}) {
        const auto o = run<default_state>(cfg, t);   // every invariant after every step
        CHECK(o.final().bug.get() == 0);
        CHECK(mappings(o.final(), 1) == mappings(o.after(3), 0));   // both mappings moved to the new folio
        CHECK_FALSE(o.final().folio[0].allocated);
    }
}

TEST_CASE("cow_context: the fork hole also breaks the author's C3 (remap recorded)", "[cow_context][finding]") {
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1),
                                   act::fork(0, 1)};
    const auto cfg = cow_cfg({model::cow_fix::early_stop_if_found});
    const auto o = run<default_state>(cfg, t, /*check_invariants=*/false);
    CHECK(props::holds(inv::cow_remap_recorded, cfg, o.after(3)));
    CHECK_FALSE(props::holds(inv::cow_remap_recorded, cfg, o.final()));
}
