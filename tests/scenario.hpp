// tests/scenario.hpp — running a scenario: a list of actions from the initial state.
//
// Scenario tests read like tools/testing/selftests/mm/cow.c and
// tools/testing/vma/vma.c: tables of {description, actions, expectations}.
// `run` takes every action with model::step from model::initial_state, requires
// each one to be enabled and inside the bounds, checks every invariant of
// props::invariants() after every step, and hands back the states so the
// scenario can assert on the final one.  A failure message names the broken
// property, the step, and prints the numbered trace and what the step changed.
//
// `read_value` performs a user load on a copy of a state and returns what the
// load saw (the folio content through the TLB, else through the PTE after the
// fault), or `sigsegv` when no translation could be made; it lets a scenario
// say "the child reads 1" without changing the state it asserts on.
#pragma once
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "props/props.hpp"
#include "solver/print.hpp"

namespace Catch {
/// Print model integers as numbers, naming the two special "pointer" values.
template <> struct StringMaker<model::cint> {
    static std::string convert(model::cint x) {
        if (x.v == model::nil) return "255 (nil)";
        if (x.v == model::zero_pfn) return "254 (zero_pfn)";
        return std::to_string(x.v);
    }
};
}  // namespace Catch

namespace scenario {

using model::action;
using model::op;
using default_state = model::state<model::concrete, model::preset_default>;
/// Bounds for the anon_vma chain-growth tests: two processes with one VMA slot each
/// (chain bound 2 x 2 VMA slots = 4) and five anon_vma slots, so a chain of 5 fits.
struct preset_chain {
    static constexpr const char* name = "chain";
    static constexpr int mms = 2, vmas = 1, va_pages = 2, folios = 3, anon_vmas = 5, cpus = 1, pins = 1;
};
using small_state = model::state<model::concrete, preset_chain>;

/// What read_value returns for a load that found no translation (SIGSEGV).
inline constexpr int sigsegv = -1;

/// Action builders, so a table reads as a list of syscalls and accesses.
/// Qualified as act::write etc.: they would otherwise collide with POSIX names.
namespace act {
inline action mmap(int mm, int start, int pages) { return {op::mmap, {.mm = mm, .start = start, .pages = pages}}; }
inline action munmap(int mm, int start, int pages) { return {op::munmap, {.mm = mm, .start = start, .pages = pages}}; }
inline action tlb_finish_mmu(int mm) { return {op::tlb_finish_mmu, {.mm = mm}}; }
/// mprotect(start, pages, PROT_READ | (writable ? PROT_WRITE : 0)).
inline action mprotect(int mm, int start, int pages, bool writable) {
    return {op::mprotect, {.mm = mm, .start = start, .pages = pages, .value = writable ? 1 : 0}};
}
inline action madv_wipeonfork(int mm, int start, int pages) {
    return {op::madvise, {.mm = mm, .start = start, .pages = pages, .value = model::VM_WIPEONFORK}};
}
inline action madv_dontfork(int mm, int start, int pages) {
    return {op::madvise, {.mm = mm, .start = start, .pages = pages, .value = model::VM_DONTCOPY}};
}
inline action madv_dontneed(int mm, int start, int pages) {
    return {op::madvise_dontneed, {.mm = mm, .start = start, .pages = pages}};
}
inline action mremap(int mm, int start, int pages, int to) {
    return {op::mremap, {.mm = mm, .start = start, .pages = pages, .to = to}};
}
inline action read(int cpu, int mm, int vpage) { return {op::read, {.mm = mm, .cpu = cpu, .start = vpage}}; }
inline action write(int cpu, int mm, int vpage, int value) {
    return {op::write, {.mm = mm, .cpu = cpu, .start = vpage, .value = value}};
}
/// fork of mm into mm2 (mm2 must be the lowest free mm slot).
inline action fork(int mm, int mm2) { return {op::fork, {.mm = mm, .mm2 = mm2}}; }
inline action exit(int mm) { return {op::exit_mmap, {.mm = mm}}; }
inline action execve(int mm) { return {op::execve, {.mm = mm}}; }
inline action switch_mm(int cpu, int mm) { return {op::switch_mm, {.mm = mm, .cpu = cpu}}; }
inline action tlb_evict(int cpu) { return {op::tlb_evict, {.cpu = cpu}}; }
inline action migrate(int folio) { return {op::migrate, {.folio = folio}}; }
inline action mem_write_faultin(int mm, int vpage) { return {op::mem_write_faultin, {.mm = mm, .start = vpage}}; }
inline action mem_write(int mm, int vpage, int value) {
    return {op::mem_write, {.mm = mm, .start = vpage, .value = value}};
}
}  // namespace act

/// The numbered trace, with "=>" at step `mark` (1-based; 0 = none).
inline std::string trace_text(const std::vector<action>& trace, int mark = 0) {
    std::ostringstream out;
    out << "trace:\n";
    for (std::size_t k = 0; k < trace.size(); ++k)
        out << (static_cast<int>(k) + 1 == mark ? " => " : "    ") << k + 1 << ". " << model::describe(trace[k])
            << "\n";
    return out.str();
}

/// The names of the invariants that fail on s, comma separated ("" if none).
template <class S> std::string broken_names(const model::config& cfg, const S& s) {
    std::string out;
    for (const auto& i : props::invariants())
        if (!props::holds(i.id, cfg, s)) out += (out.empty() ? "" : ", ") + std::string(i.name);
    return out;
}

/// A scenario that has been run: the trace and the state after every step.
template <class S> struct outcome {
    model::config cfg;
    std::vector<action> trace;
    std::vector<S> states;   // states[0] is the initial state, states[k] the state after step k

    const S& final() const { return states.back(); }
    const S& after(int k) const { return states.at(k); }
};

/// Run `trace` from the initial state.  Every step must be enabled and inside the
/// bounds; with `check_invariants`, every invariant must hold after every step.
template <class S = default_state>
outcome<S> run(const model::config& cfg, const std::vector<action>& trace, bool check_invariants = true) {
    outcome<S> o{cfg, trace, {model::initial_state<S>(&cfg)}};
    for (std::size_t k = 0; k < trace.size(); ++k) {
        const int n = static_cast<int>(k) + 1;
        S s = o.states.back();
        if (!model::enabled(cfg, s, trace[k]))
            FAIL("step " << n << " (" << model::describe(trace[k]) << ") is not enabled\n"
                         << trace_text(trace, n) << "state before it:\n" << solver::dump(s));
        if (!model::step(cfg, s, trace[k]))
            FAIL("step " << n << " (" << model::describe(trace[k]) << ") ran out of the "
                         << S::preset::name << " bounds\n" << trace_text(trace, n));
        o.states.push_back(s);
        if (!check_invariants) continue;
        for (const auto& i : props::invariants())
            if (!props::holds(i.id, cfg, s))
                FAIL("invariant " << i.name << " broken after step " << n << " ("
                                  << model::describe(trace[k]) << ")\n  claim: " << i.claim
                                  << "\n  kernel rule: " << i.rule << "\n  all broken: " << broken_names(cfg, s)
                                  << "\n" << trace_text(trace, n) << "what step " << n << " changed:\n"
                                  << solver::diff(o.states[k], s));
    }
    return o;
}

/// run() with the preset's default configuration.
template <class S = default_state> outcome<S> run(const std::vector<action>& trace) {
    return run<S>(model::config::defaults<typename S::preset>(), trace);
}

/// The value a user load by `cpu` at `vpage` of `mm` returns in state s: through
/// the TLB entry, else after the fault fills it; sigsegv if neither gives a
/// translation.  If `cpu` is not running `mm`, it is switched to it first.
/// s itself is not changed: the load happens on a copy.
template <class S> int read_value(const model::config& cfg, const S& s, int cpu, int mm, int vpage) {
    S t = s;
    if (t.cpu[cpu].mm != mm && !model::step(cfg, t, act::switch_mm(cpu, mm)))
        FAIL("read_value: cpu" << cpu << " cannot switch to mm" << mm << " (is it live?)\n" << solver::dump(s));
    const action x = act::read(cpu, mm, vpage);
    if (!model::step(cfg, t, x))
        FAIL("read_value: " << model::describe(x) << " is not enabled\n" << solver::dump(s));
    const auto& e = t.tlb[cpu][mm][vpage];
    if (!e.valid) return sigsegv;
    return model::content_of(t, e.folio).get();
}
template <class S> int read_value(const outcome<S>& o, int cpu, int mm, int vpage) {
    return read_value(o.cfg, o.final(), cpu, mm, vpage);
}

// ---------------------------------------------------------------------------
// Inspection helpers for expectations
// ---------------------------------------------------------------------------

/// VMA slot of mm m covering vpage vp, or -1.
template <class S> int vma_at(const S& s, int m, int vp) {
    const int i = model::find_vma(s, m, model::cint(vp)).get();
    return i == model::nil ? -1 : i;
}

/// Number of VMAs of mm m.
template <class S> int vma_count(const S& s, int m) {
    int n = 0;
    for (const auto& v : s.vma[m]) n += v.used;
    return n;
}

/// Number of allocated folios.
template <class S> int live_folios(const S& s) {
    int n = 0;
    for (const auto& f : s.folio) n += f.allocated;
    return n;
}

/// Number of live anon_vmas.
template <class S> int live_anon_vmas(const S& s) {
    int n = 0;
    for (const auto& a : s.anon_vma) n += a.live;
    return n;
}

/// Number of valid TLB entries over every cpu and mm.
template <class S> int tlb_entries(const S& s) {
    int n = 0;
    for (const auto& per_cpu : s.tlb)
        for (const auto& per_mm : per_cpu)
            for (const auto& t : per_mm) n += t.valid;
    return n;
}

/// Number of anon_vmas on a VMA's anon_vma_chain.
template <class V> int chain_length(const V& v) { return model::chain_length<model::concrete>(v).get(); }

}  // namespace scenario
