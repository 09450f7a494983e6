// conformance/litmus.hpp — the litmus program format (JSON Lines), shared by the
// kernel runner (conformance/kernel.hpp) and the model predictor
// (conformance/predict.hpp); the format is documented in conformance/README.md.
//
// A program is one operation per line, performed by a named process on logical
// pages.  Every process keeps, per logical page, the arena slot (page-sized
// address) the page lives at in that process: `mmap` names slots, `mremap` moves
// them, `fork` copies the table.  Both interpreters use this one bookkeeping
// (`procs`), so they observe the same (process, page) pairs in the same order.
//
// Output (both interpreters): a header line, then per step the operation line
// with its "result" and one observation line per (live process, known page).
#pragma once
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace litmus {

using json = nlohmann::ordered_json;   // keys in the documented order

/// The arena the kernel runner reserves: slots 0..arena_slots-1.
inline constexpr int arena_slots = 64;

/// A malformed program: one line naming the line and the problem (exit 2).
struct bad_input : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class kind { mmap, read, write, fork, exit, munmap, mprotect, madvise, mremap, mem_write };

struct op {
    int line = 0;            // line in the file (1-based), for messages
    kind k = kind::read;
    std::string name;        // "mmap", "read", ...
    std::string proc;        // who performs it
    int page = 0;            // first logical page
    int npages = 1;
    int new_npages = 1;      // mremap
    int at = -1;             // mmap / mremap: arena slot
    std::int64_t value = 0;  // write, mem_write
    std::string prot;        // mprotect: "r", "rw", "none"
    std::string advice;      // madvise: DONTNEED, DONTFORK, WIPEONFORK
    std::string child;       // fork
    json src;                // the line as written
};

struct program {
    std::string file;
    std::vector<op> ops;
    std::vector<std::string> procs;   // every process, in order of creation ("parent" first)
};

inline const std::map<std::string, kind>& kinds() {
    static const std::map<std::string, kind> k = {
        {"mmap", kind::mmap}, {"read", kind::read}, {"write", kind::write}, {"fork", kind::fork},
        {"exit", kind::exit}, {"munmap", kind::munmap}, {"mprotect", kind::mprotect},
        {"madvise", kind::madvise}, {"mremap", kind::mremap}, {"mem_write", kind::mem_write}};
    return k;
}

/// Parse one program; every error names file and line.
inline program parse(std::istream& in, const std::string& file) {
    program p;
    p.file = file;
    p.procs.push_back("parent");
    std::set<std::string> live = {"parent"}, ever = {"parent"};
    std::string text;
    int line = 0;
    auto fail = [&](const std::string& why) {
        std::string m = file;
        m += ':';
        m += std::to_string(line);
        m += ": ";
        m += why;
        throw bad_input(m);
    };
    while (std::getline(in, text)) {
        ++line;
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j;
        try {
            j = json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            fail(std::string("not JSON: ") + e.what());
        }
        if (!j.is_object()) fail("a line must be a JSON object");
        if (j.size() == 1 && j.contains("comment")) continue;
        op o;
        o.line = line;
        o.src = j;
        auto str = [&](const char* key, bool required) -> std::string {
            if (!j.contains(key)) {
                if (required) fail(std::string("missing \"") + key + "\"");
                return "";
            }
            if (!j[key].is_string()) fail(std::string("\"") + key + "\" must be a string");
            return j[key].get<std::string>();
        };
        auto num = [&](const char* key, std::optional<std::int64_t> dflt) -> std::int64_t {
            if (!j.contains(key)) {
                if (!dflt) fail(std::string("missing \"") + key + "\"");
                return *dflt;
            }
            if (!j[key].is_number_integer()) fail(std::string("\"") + key + "\" must be an integer");
            return j[key].get<std::int64_t>();
        };
        o.name = str("op", true);
        auto it = kinds().find(o.name);
        if (it == kinds().end()) fail("unknown op \"" + o.name + "\"");
        o.k = it->second;
        o.proc = str("proc", false);
        if (o.proc.empty()) o.proc = "parent";
        if (!ever.count(o.proc)) fail("process \"" + o.proc + "\" was never forked");
        if (!live.count(o.proc)) fail("process \"" + o.proc + "\" has exited");
        static const std::set<std::string> known = {"op", "proc", "page", "npages", "new_npages", "at", "value",
                                                    "prot", "advice", "child", "flags", "comment"};
        for (auto& [key, v] : j.items())
            if (!known.count(key)) fail("unknown field \"" + key + "\"");
        const bool ranged = o.k != kind::fork && o.k != kind::exit;
        if (ranged) {
            o.page = static_cast<int>(num("page", std::nullopt));
            o.npages = static_cast<int>(num("npages", 1));
            if (o.page < 0 || o.page >= arena_slots) fail("\"page\" out of range 0.." + std::to_string(arena_slots - 1));
            if (o.npages < 1 || o.npages > arena_slots) fail("\"npages\" must be 1.." + std::to_string(arena_slots));
        }
        switch (o.k) {
            case kind::mmap:
            case kind::mremap:
                o.at = static_cast<int>(num("at", o.k == kind::mmap ? std::optional<std::int64_t>(o.page) : std::nullopt));
                o.new_npages = static_cast<int>(num("new_npages", o.npages));
                if (o.new_npages != o.npages && o.k == kind::mmap) fail("\"new_npages\" is for mremap");
                if (o.at < 0 || o.at + std::max(o.npages, o.new_npages) > arena_slots)
                    fail("\"at\" + pages beyond the arena (" + std::to_string(arena_slots) + " slots)");
                if (o.k == kind::mremap && j.contains("flags") && str("flags", false) != "MAYMOVE|FIXED")
                    fail("mremap \"flags\" must be \"MAYMOVE|FIXED\" (the only form supported)");
                if (o.k == kind::mmap && o.page + o.npages > arena_slots) fail("logical pages beyond the arena");
                break;
            case kind::write:
            case kind::mem_write: o.value = num("value", std::nullopt); break;
            case kind::mprotect:
                o.prot = str("prot", true);
                if (o.prot != "r" && o.prot != "rw" && o.prot != "none") fail("\"prot\" must be \"r\", \"rw\" or \"none\"");
                break;
            case kind::madvise:
                o.advice = str("advice", true);
                if (o.advice != "DONTNEED" && o.advice != "DONTFORK" && o.advice != "WIPEONFORK")
                    fail("\"advice\" must be DONTNEED, DONTFORK or WIPEONFORK");
                break;
            case kind::fork:
                o.child = str("child", true);
                if (ever.count(o.child)) fail("process name \"" + o.child + "\" is already taken");
                ever.insert(o.child);
                live.insert(o.child);
                p.procs.push_back(o.child);
                break;
            case kind::exit:
                live.erase(o.proc);
                if (live.empty()) fail("the last live process cannot exit");
                break;
            default: break;
        }
        p.ops.push_back(std::move(o));
    }
    if (p.ops.empty()) {
        line = 0;
        fail("no operations");
    }
    return p;
}

inline program parse_file(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw bad_input(file + ": cannot open");
    return parse(in, file);
}

/// Per process: is it live, and which arena slot holds each logical page.
struct procs {
    struct proc {
        bool live = false;
        std::map<int, int> slot;   // logical page -> arena slot
    };
    std::map<std::string, proc> by_name;
    std::vector<std::string> order;   // creation order

    procs() {
        by_name["parent"].live = true;
        order.push_back("parent");
    }
    /// Slot of logical page `page` in `proc`, or -1 if it has none.
    int slot(const std::string& p, int page) const {
        const auto& s = by_name.at(p).slot;
        auto it = s.find(page);
        return it == s.end() ? -1 : it->second;
    }
    /// The slot an op's range starts at: the logical page's slot, or the page number
    /// itself when the process never mapped that logical page (an arbitrary address).
    int start_slot(const op& o) const {
        const int s = slot(o.proc, o.page);
        return s < 0 ? o.page : s;
    }
    /// Update the tables after `o` ran with result `ok`.
    void after(const op& o, bool ok) {
        auto& me = by_name.at(o.proc);
        switch (o.k) {
            case kind::mmap:
                if (ok)
                    for (int d = 0; d < o.npages; ++d) me.slot[o.page + d] = o.at + d;
                break;
            case kind::mremap:
                if (ok) {
                    const int from = start_slot(o);
                    for (auto& [pg, sl] : me.slot)
                        if (sl >= from && sl < from + o.npages) sl += o.at - from;
                }
                break;
            case kind::fork: {
                auto& c = by_name[o.child];
                c.live = true;
                c.slot = me.slot;
                order.push_back(o.child);
                break;
            }
            case kind::exit: me.live = false; break;
            default: break;
        }
    }
    /// (process, logical page, slot) for every live process and known page, in output order.
    struct key {
        std::string proc;
        int page, slot;
    };
    std::vector<key> observed() const {
        std::vector<key> out;
        for (const auto& n : order) {
            const auto& p = by_name.at(n);
            if (!p.live) continue;
            for (const auto& [pg, sl] : p.slot) out.push_back({n, pg, sl});
        }
        return out;
    }
};

/// The observation fields, in output order (README: "Observation lines").
inline const std::vector<std::string>& obs_fields() {
    static const std::vector<std::string> f = {"value", "vma", "present", "swapped", "exclusive",
                                               "anon_exclusive", "mapcount", "same_pfn_as", "same_pfn_as_prev",
                                               "zero_page", "kpageflags"};
    return f;
}

/// The run-stable subset of /proc/kpageflags (include/uapi/linux/kernel-page-flags.h) the
/// observation lines carry, by name, in this order.  Left out because they change from
/// run to run without any operation: LRU, ACTIVE, REFERENCED, DIRTY, IDLE (per-cpu LRU
/// batches, reclaim scanning, the hardware dirty bit); MAPPEDTODISK is `anon_exclusive`.
/// COMPOUND_HEAD, THP, HUGE and KSM stay in so a run with THP or KSM active shows.
inline const std::vector<std::pair<int, const char*>>& stable_kpageflags() {
    static const std::vector<std::pair<int, const char*>> f = {
        {3, "UPTODATE"}, {11, "MMAP"}, {12, "ANON"}, {14, "SWAPBACKED"}, {15, "COMPOUND_HEAD"},
        {17, "HUGE"}, {21, "KSM"}, {22, "THP"}, {24, "ZERO_PAGE"}};
    return f;
}

/// The names of the stable flags set in a kpageflags word.
inline json kpageflags_names(std::uint64_t flags) {
    json out = json::array();
    for (const auto& [bit, name] : stable_kpageflags())
        if (flags >> bit & 1) out.push_back(name);
    return out;
}

/// One interpreter's output: header, then per step the op line and its observations.
struct trace {
    json header;
    struct step {
        json op;                 // the program line plus "step" and "result" (and "value" of a read)
        std::vector<json> obs;   // one per (live process, known page)
    };
    std::vector<step> steps;

    void print(std::ostream& out) const {
        out << header.dump() << '\n';
        for (const auto& s : steps) {
            out << s.op.dump() << '\n';
            for (const auto& o : s.obs) out << o.dump() << '\n';
        }
    }
};

/// The op line of step `n` (1-based) as both interpreters print it.
inline json op_line(const op& o, int n) {
    json j = {{"type", "op"}, {"step", n}, {"line", o.line}, {"proc", o.proc}};
    for (auto& [k, v] : o.src.items())
        if (k != "proc" && k != "comment") j[k] = v;
    return j;
}

/// Fill same_pfn_as: each record names the first earlier record of the step with the
/// same physical page (`ids[i]`, nullopt when not present), as "proc:page".
inline void link_same_pfn(std::vector<json>& obs, const std::vector<std::optional<std::uint64_t>>& ids) {
    for (std::size_t i = 0; i < obs.size(); ++i) {
        obs[i]["same_pfn_as"] = nullptr;
        if (!ids[i]) continue;
        for (std::size_t j = 0; j < i; ++j)
            if (ids[j] && *ids[j] == *ids[i]) {
                obs[i]["same_pfn_as"] = obs[j]["proc"].get<std::string>() + ":" + std::to_string(obs[j]["page"].get<int>());
                break;
            }
    }
}

/// Fill same_pfn_as_prev: each record names the first record of the previous step
/// (`prev`, with its page identities `prev_ids`) with the same physical page, as
/// "proc:page", else null (also at step 1 and when not present).  A page kept across
/// the step (a read, a reuse) names its own key; a COW copy names nothing or another.
inline void link_same_pfn_prev(std::vector<json>& obs, const std::vector<std::optional<std::uint64_t>>& ids,
                               const std::vector<json>& prev, const std::vector<std::optional<std::uint64_t>>& prev_ids) {
    for (std::size_t i = 0; i < obs.size(); ++i) {
        obs[i]["same_pfn_as_prev"] = nullptr;
        if (!ids[i]) continue;
        for (std::size_t j = 0; j < prev.size(); ++j)
            if (prev_ids[j] && *prev_ids[j] == *ids[i]) {
                obs[i]["same_pfn_as_prev"] =
                    prev[j]["proc"].get<std::string>() + ":" + std::to_string(prev[j]["page"].get<int>());
                break;
            }
    }
}

/// A fresh observation record with the key fields.
inline json obs_line(int step, const procs::key& k) {
    return {{"type", "obs"}, {"step", step}, {"proc", k.proc}, {"page", k.page}};
}

}  // namespace litmus
