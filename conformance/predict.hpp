// conformance/predict.hpp — run a litmus program through the model and predict
// the observation lines the kernel runner (conformance/kernel.hpp) prints.
//
// Mapping: each process is an mm slot ("parent" is mm0; a fork takes the lowest
// free slot, as the model's fork does); a logical page's arena slot is the
// vpage in that mm.  Every user access runs on cpu0, after a switch_mm to the
// process's mm when cpu0 ran another one.  munmap is the model's two phases
// (munmap, tlb_finish_mmu) back to back.  The bounds are the `double` preset
// with one cpu (8 mms, 4 VMAs and 8 pages per mm, 12 folios, 12 anon_vmas);
// a program needing more, or an operation outside what the model covers (a range
// spanning several VMAs or a hole, PROT_NONE, mremap that resizes or lands on a
// mapping, a value that does not fit the model's 8-bit data), is refused with
// `outside_model` (exit 2) naming the line.
//
// Predicted fields (README "Observation lines"): value (pte -> folio content,
// the zero page reads 0), vma, present (pte present), swapped (always false: no
// swap in the model), exclusive (folio mapcount == 1; never for the zero page),
// anon_exclusive (PageAnonExclusive; null for the zero page), mapcount (folio
// _mapcount; 0 for the zero page), same_pfn_as (same folio slot, or both the zero
// page), zero_page.  Operation results follow the kernel's errors for the cases
// the model can decide: EEXIST (mmap onto a mapping, MAP_FIXED_NOREPLACE),
// ENOMEM (mprotect/madvise of a range with no mapping), EFAULT (mremap of a
// range with no mapping), EINVAL (mremap onto its own source).
#pragma once
#include "conformance/litmus.hpp"
#include "model/actions.hpp"

namespace litmus::predict {

/// The program needs something the model does not cover (exit 2).
struct outside_model : bad_input {
    using bad_input::bad_input;
};

/// Predict program p; `mutants` are injected (to show the comparison catches a wrong model).
/// zero_page false: a kernel whose read faults allocate (model::config::zero_page).
template <class P = model::preset_double>
trace run(const program& p, const std::vector<model::mutant>& mutants = {}, bool zero_page = true) {
    using S = model::state<model::concrete, P>;
    using model::op;
    using I = model::cint;
    model::config cfg = model::config::defaults<P>();
    cfg.lim.cpus = 1;
    for (auto mu : mutants) cfg.inject(mu);
    cfg.zero_page = zero_page;
    S s = model::initial_state<S>();
    std::map<std::string, int> mm = {{"parent", 0}};
    procs book;
    trace t;
    t.header = {{"type", "header"}, {"source", "model"}, {"model", std::string("cowcheck ") + COWCHECK_VERSION},
                {"bounds", {{"preset", P::name}, {"mms", cfg.lim.mms}, {"vmas_per_mm", cfg.lim.vmas},
                            {"va_pages", cfg.lim.va_pages}, {"folios", cfg.lim.folios},
                            {"anon_vmas", cfg.lim.anon_vmas}, {"cpus", cfg.lim.cpus}}},
                {"mutants", cfg.mutant_names()}, {"zero_page_on_read", cfg.zero_page},
                {"not_modelled", {{"swapped", "always false (no swap in the model)"}}}};
    // Known divergence (README "Known divergences"): the model has no VM_ACCOUNT.  The kernel's
    // VM_ACCOUNT of the VMA covering each vpage is shadowed here; once a model VMA spans pages
    // whose kernel VMAs differ in it, the kernel keeps two VMAs where the model has merged one,
    // and every later step is classified, not compared.
    std::map<int, std::array<bool, P::va_pages>> acct;
    auto diverged = [&](int k) {
        for (int i = 0; i < P::vmas; ++i) {
            const auto& v = s.vma[k][i];
            if (!v.used) continue;
            for (int q = v.start.get() + 1; q < v.start.get() + v.pages.get(); ++q)
                if (acct[k][q] != acct[k][v.start.get()]) return true;
        }
        return false;
    };
    int n = 0;
    std::vector<json> prev_obs;
    std::vector<std::optional<std::uint64_t>> prev_ids;
    for (const auto& o : p.ops) {
        ++n;
        auto fail = [&](const std::string& why) {
            std::string msg = p.file;
            msg += ':';
            msg += std::to_string(o.line);
            msg += ": outside the model: ";
            msg += why;
            throw outside_model(msg);
        };
        auto take = [&](model::action x) {
            if (!model::enabled(cfg, s, x)) fail("the model does not enable " + model::describe(x));
            S next = s;
            model::apply(cfg, next, x);
            if (next.out_of_bounds)
                fail("needs more than the model's bounds (" + std::string(P::name) + ", one cpu): " + model::describe(x));
            s = next;
        };
        auto check_slots = [&](int first, int count) {
            if (first + count > cfg.lim.va_pages)
                fail("arena slot " + std::to_string(first + count - 1) + " beyond the model's " +
                     std::to_string(cfg.lim.va_pages) + " pages per mm");
        };
        const int m = mm.at(o.proc);
        const int st = book.start_slot(o);
        std::string result = "ok";
        json read_value;
        auto on_cpu0 = [&] {
            if (s.cpu[0].mm != I(m)) take({op::switch_mm, {.mm = m, .cpu = 0}});
        };
        // Rule reuse_or_copy (README "Known divergences"): a write fault on a page that is mapped
        // once but not PageAnonExclusive reuses it in the model (refcount 1); the kernel's
        // wp_can_reuse_anon_folio() copies instead whenever someone else holds a transient
        // reference.  Remember the page, and after the step whether the model reused it.
        int candidate = model::nil;
        auto note_reuse_candidate = [&](int v) {
            const auto& pte = s.pte[m][v];
            if (pte.present && pte.folio != I(model::zero_pfn) && !s.folio[pte.folio.get()].anon_exclusive &&
                s.folio[pte.folio.get()].mapcount == I(1))
                candidate = pte.folio.get();
        };
        const model::args range{.mm = m, .start = st, .pages = o.npages};
        auto none_mapped = [&] { return model::range_free(s, m, st, o.npages); };
        auto one_vma = [&] { return model::range_in_one_vma(s, m, st, o.npages); };
        switch (o.k) {
            case kind::mmap:
                check_slots(o.at, o.npages);
                if (!model::range_free(s, m, o.at, o.npages))
                    result = "EEXIST";
                else {
                    take({op::mmap, {.mm = m, .start = o.at, .pages = o.npages}});
                    for (int d = 0; d < o.npages; ++d) acct[m][o.at + d] = true;   // VM_ACCOUNT (private writable)
                }
                break;
            case kind::read: {
                check_slots(st, 1);
                on_cpu0();
                take({op::read, {.mm = m, .cpu = 0, .start = st}});
                const auto& tl = s.tlb[0][m][st];
                if (tl.valid)
                    read_value = model::content_of(s, tl.folio).get();
                else
                    result = "SIGSEGV";
                break;
            }
            case kind::write: {
                check_slots(st, 1);
                if (o.value < 0 || o.value > 255) fail("value " + std::to_string(o.value) + " does not fit the model's 8-bit data");
                note_reuse_candidate(st);
                on_cpu0();
                take({op::write, {.mm = m, .cpu = 0, .start = st, .value = static_cast<int>(o.value)}});
                const auto& tl = s.tlb[0][m][st];
                if (!(tl.valid && tl.writable)) result = "SIGSEGV";
                break;
            }
            case kind::fork: {
                int child = -1;
                for (int k = 0; k < cfg.lim.mms && child < 0; ++k)
                    if (!s.mm[k].live) child = k;
                if (child < 0) fail("more than " + std::to_string(cfg.lim.mms) + " live processes");
                take({op::fork, {.mm = m, .mm2 = child}});
                mm[o.child] = child;
                acct[child] = acct[m];
                break;
            }
            case kind::exit: take({op::exit_mmap, {.mm = m}}); break;
            case kind::munmap:
                check_slots(st, o.npages);
                if (none_mapped()) break;   // munmap of nothing succeeds
                if (!one_vma()) fail("munmap of a range that is not inside one VMA");
                take({op::munmap, range});
                take({op::tlb_finish_mmu, {.mm = m}});
                break;
            case kind::mprotect:
                check_slots(st, o.npages);
                if (o.prot == "none") fail("PROT_NONE is not modelled");
                if (none_mapped()) {
                    result = "ENOMEM";
                    break;
                }
                if (!one_vma()) fail("mprotect of a range that is not inside one VMA");
                {
                    model::args a = range;
                    a.value = o.prot == "rw";
                    if (model::enabled_mprotect(cfg, s, a)) {   // else: no change
                        // mprotect_fixup(): making it writable charges it (VM_ACCOUNT); making it
                        // read-only uncharges an anonymous VMA that has no anon_vma yet.
                        const auto vi = model::find_vma(s, m, I(st));
                        const bool no_anon_vma = s.vma[m][vi.get()].anon_vma == I(model::nil);
                        take({op::mprotect, a});
                        for (int d = 0; d < o.npages; ++d)
                            if (a.value || no_anon_vma) acct[m][st + d] = a.value != 0;
                    }
                }
                break;
            case kind::madvise:
                check_slots(st, o.npages);
                if (none_mapped()) {
                    result = "ENOMEM";
                    break;
                }
                if (!one_vma()) fail("madvise of a range that is not inside one VMA");
                if (o.advice == "DONTNEED") {
                    take({op::madvise_dontneed, range});
                } else {
                    model::args a = range;
                    a.value = o.advice == "DONTFORK" ? model::VM_DONTCOPY : model::VM_WIPEONFORK;
                    if (model::enabled_madvise(cfg, s, a)) take({op::madvise, a});   // else: already set
                }
                break;
            case kind::mem_write:
                // write(2) to /proc/self/mem: mem_rw -> access_remote_vm(FOLL_FORCE|FOLL_WRITE), the
                // model's two phases back to back (nothing runs between them in a litmus program).
                check_slots(st, 1);
                if (o.value < 0 || o.value > 255) fail("value " + std::to_string(o.value) + " does not fit the model's 8-bit data");
                if (model::find_vma(s, m, I(st)) == I(model::nil)) {
                    result = "EIO";   // access_remote_vm copied nothing: mem_rw returns -EIO
                    break;
                }
                note_reuse_candidate(st);
                take({op::mem_write_faultin, {.mm = m, .start = st}});
                take({op::mem_write, {.mm = m, .start = st, .value = static_cast<int>(o.value)}});
                break;
            case kind::mremap:
                check_slots(st, o.npages);
                check_slots(o.at, o.new_npages);
                if (o.new_npages != o.npages) fail("mremap that resizes is not modelled");
                if (o.at < st + o.npages && st < o.at + o.npages) {   // check_mremap_params(), before the VMA lookup
                    result = "EINVAL";
                    break;
                }
                if (none_mapped()) {
                    result = "EFAULT";
                    break;
                }
                if (!one_vma()) fail("mremap of a range that is not inside one VMA");
                if (!model::range_free(s, m, o.at, o.npages)) fail("mremap onto a mapping (it would be unmapped first)");
                take({op::mremap, {.mm = m, .start = st, .pages = o.npages, .to = o.at}});
                for (int d = 0; d < o.npages; ++d) acct[m][o.at + d] = acct[m][st + d];
                break;
        }
        if (candidate != model::nil && s.pte[m][st].present && s.pte[m][st].folio == I(candidate)) {
            if (!t.header.contains("may_copy")) t.header["may_copy"] = json::array();
            for (const auto& [pg, sl] : book.by_name.at(o.proc).slot)   // the records of that slot
                if (sl == st) t.header["may_copy"].push_back({{"step", n}, {"proc", o.proc}, {"page", pg}});
        }
        json line = op_line(o, n);
        line["result"] = result;
        if (!read_value.is_null()) line["value"] = read_value;
        book.after(o, result == "ok");

        trace::step stp;
        stp.op = line;
        std::vector<std::optional<std::uint64_t>> ids;
        for (const auto& k : book.observed()) {
            const int km = mm.at(k.proc);
            json ob = obs_line(n, k);
            if (k.slot >= cfg.lim.va_pages) fail("arena slot beyond the model's pages per mm");
            const I vi = model::find_vma(s, km, I(k.slot));
            const auto& pte = s.pte[km][k.slot];
            const bool present = pte.present;
            const bool zero = present && pte.folio == I(model::zero_pfn);
            const auto& fo = s.folio[zero || !present ? 0 : pte.folio.get()];
            json vma = nullptr;
            if (vi != I(model::nil)) vma = (s.vma[km][vi.get()].flags & I(model::VM_WRITE)) != I(0) ? "rw" : "r";
            json value = nullptr;
            if (vma.is_null())
                value = "SIGSEGV";
            else if (present)
                value = model::content_of(s, pte.folio).get();
            ob["value"] = value;
            ob["vma"] = vma;
            ob["present"] = present;
            ob["swapped"] = false;
            ob["exclusive"] = present && !zero && fo.mapcount == I(1);
            ob["anon_exclusive"] = present && !zero ? json(fo.anon_exclusive) : json(nullptr);
            ob["mapcount"] = present ? json(zero ? 0 : fo.mapcount.get()) : json(nullptr);
            ob["same_pfn_as"] = nullptr;
            ob["same_pfn_as_prev"] = nullptr;
            ob["zero_page"] = present ? json(zero) : json(nullptr);
            // The zero page: KPF_ZERO_PAGE only; a mapped anonymous folio: ANON, MMAP (mapped),
            // SWAPBACKED (folio_add_new_anon_rmap sets it), UPTODATE (zeroed or copied in full).
            ob["kpageflags"] = !present ? json(nullptr)
                               : zero   ? kpageflags_names(1ull << 24)
                                        : kpageflags_names(1ull << 3 | 1ull << 11 | 1ull << 12 | 1ull << 14);
            stp.obs.push_back(ob);
            ids.push_back(present ? std::optional<std::uint64_t>(pte.folio.get()) : std::nullopt);
        }
        link_same_pfn(stp.obs, ids);
        // A folio slot present at the end of the previous step and at the end of this one is
        // the same folio unless it was freed and reallocated within this step (see README).
        link_same_pfn_prev(stp.obs, ids, prev_obs, prev_ids);
        prev_obs = stp.obs;
        prev_ids = ids;
        t.steps.push_back(std::move(stp));
        if (!t.header.contains("known_divergence"))
            for (const auto& [name, k] : mm)
                if (s.mm[k].live && book.by_name.at(name).live && diverged(k)) {
                    t.header["known_divergence"] = {
                        {"step", n}, {"rule", "vm_account"},
                        {"why", "a model VMA of " + name + " spans pages whose kernel VMAs differ in VM_ACCOUNT "
                                "(mprotect_fixup uncharges a read-only anonymous VMA without anon_vma): the "
                                "kernel keeps them apart, the model (no VM_ACCOUNT) merged them"}};
                    break;
                }
    }
    return t;
}

}  // namespace litmus::predict
