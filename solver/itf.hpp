// solver/itf.hpp — counterexamples as Informal Trace Format (ITF) files, and back.
//
// ITF is Apalache's tool-neutral JSON trace format (ADR-015,
// https://apalache-mc.org/docs/adr/015adr-trace.html), also written by Quint.
// A cowcheck trace file:
//
//   { "#meta":  { "format": "ITF", "source": "cowcheck", "invariant": ..., "violated_at": k,
//                 "design": "anon_vma", "bounds": {"preset": ..., "mms": ..., ...},
//                 "mutants": [...], "engine": ..., "seed" | "depth": ..., "minimal": ...,
//                 "fixed_expect": "pass" | {"disabled_at": j} | {"violates": ..., "at": j} },
//     "vars":   ["mbt::actionTaken", "mbt::nondetPicks", "mm", "vma", ..., "out_of_bounds"],
//     "states": [ { "#meta": {"index": 0}, "mbt::actionTaken": "init", "mbt::nondetPicks": {},
//                   "mm": [...], "vma": [[...]], ... },            <- the initial state
//                 { "#meta": {"index": 1}, "mbt::actionTaken": "mmap",
//                   "mbt::nondetPicks": {"mm": {"tag": "Some", "value": 0}, ...}, ... }, ... ] }
//
// State fields are written generically from the Hana description (integers as
// JSON numbers: they are 8-bit, far below ITF's 2^53 limit for plain numbers;
// booleans as booleans; std::array as ITF sequences; structs as records), so a
// new field needs no code here.  As in Quint's `--mbt` output, each state
// carries the action that produced it and its parameters ("nondet picks", as
// Option variants); the picks of an operation are the `model::args` fields that
// are non-zero in some action of that operation in `model::actions(cfg)`.
//
// Reading validates everything and throws trace_error naming the JSON path (or,
// for malformed JSON, the line and column): missing or unknown fields, wrong
// types, unknown design / mutant / invariant / action names, parameters that are
// not one of `model::actions(cfg)`, a preset other than the command's, a state
// count that does not end at the violation, and states that differ from the
// model: every action is replayed from the initial state with `model::step` and
// each recorded state is compared leaf by leaf with the replayed one.
#pragma once
#include <algorithm>
#include <array>
#include <boost/hana.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../model/generic.hpp"
#include "replay.hpp"

#ifndef COWCHECK_VERSION
#define COWCHECK_VERSION "dev"
#endif

namespace solver {

/// JSON with keys kept in insertion order, so files read in the model's field order.
using itf_json = nlohmann::ordered_json;

/// A trace file that cannot be used: the message starts with the JSON path or the line/column.
struct trace_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr const char* itf_format_description = "https://apalache-mc.org/docs/adr/015adr-trace.html";
inline constexpr const char* itf_action_var = "mbt::actionTaken";
inline constexpr const char* itf_picks_var = "mbt::nondetPicks";

namespace itf_detail {

using model::generic::is_std_array;
using model::generic::is_struct_v;

/// Throw a trace_error "path: what" on one line (control characters from the file escaped).
[[noreturn]] inline void fail(const std::string& path, const std::string& what) {
    std::string line;
    for (const char c : path + ": " + what) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
            line += c;
            continue;
        }
        static const char hex[] = "0123456789abcdef";
        line += "\\x";
        line += hex[(c >> 4) & 0xf];
        line += hex[c & 0xf];
    }
    throw trace_error(line);
}

inline std::string join(const std::string& path, const std::string& name) {
    return path.empty() ? name : path + "." + name;
}

/// A JSON value as a short one-line quote for error messages (control characters escaped).
inline std::string preview(const itf_json& j) {
    std::string s = j.dump(-1, ' ', false, itf_json::error_handler_t::replace);
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return s;
}

inline std::string quote(const std::string& s) { return preview(itf_json(s)); }

inline std::string kind(const itf_json& j) {
    if (j.is_object()) return "an object";
    if (j.is_array()) return "an array";
    if (j.is_string()) return "the string " + preview(j);
    if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
    if (j.is_null()) return "null";
    return "the number " + preview(j);
}

/// An ITF integer: a JSON integer or {"#bigint": "digits"}; nullopt if neither.
inline std::optional<long long> as_integer(const itf_json& j) {
    if (j.is_number_integer()) {
        if (j.is_number_unsigned() && j.get<unsigned long long>() > 1ull << 53) return std::nullopt;
        return j.get<long long>();
    }
    if (j.is_object() && j.size() == 1 && j.contains("#bigint") && j["#bigint"].is_string()) {
        const std::string s = j["#bigint"].get<std::string>();
        long long v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size()) return v;
    }
    return std::nullopt;
}

inline long long integer(const itf_json& j, const std::string& path, long long lo, long long hi) {
    const auto v = as_integer(j);
    if (!v) fail(path, "expected an integer, got " + kind(j));
    if (*v < lo || *v > hi)
        fail(path, std::to_string(*v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return *v;
}

inline const itf_json& field(const itf_json& obj, const std::string& path, const char* name) {
    const auto it = obj.find(name);
    if (it == obj.end()) fail(path, std::string("missing field \"") + name + "\"");
    return *it;
}

inline const itf_json& object(const itf_json& j, const std::string& path) {
    if (!j.is_object()) fail(path, "expected an object, got " + kind(j));
    return j;
}

inline std::string str(const itf_json& j, const std::string& path) {
    if (!j.is_string()) fail(path, "expected a string, got " + kind(j));
    return j.get<std::string>();
}

/// A model value as ITF: leaves as numbers/booleans, arrays as sequences, structs as records.
template <class T> itf_json encode(const T& x) {
    if constexpr (is_std_array<T>::value) {
        itf_json a = itf_json::array();
        for (const auto& e : x) a.push_back(encode(e));
        return a;
    } else if constexpr (is_struct_v<T>) {
        itf_json o = itf_json::object();
        boost::hana::for_each(boost::hana::accessors<T>(), [&](auto pair) {
            o[boost::hana::to<const char*>(boost::hana::first(pair))] = encode(boost::hana::second(pair)(x));
        });
        return o;
    } else if constexpr (std::is_same_v<T, bool>) {
        return x;
    } else {
        return model::concrete::value(x);
    }
}

template <class T> void decode(const itf_json& j, T& x, const std::string& path);

/// The fields of a struct from a record; keys in `extra` are allowed and skipped.
template <class T>
void decode_fields(const itf_json& j, T& x, const std::string& path, const std::vector<std::string>& extra = {}) {
    object(j, path);
    std::vector<std::string> names = extra;
    boost::hana::for_each(boost::hana::accessors<T>(), [&](auto pair) {
        const std::string name = boost::hana::to<const char*>(boost::hana::first(pair));
        names.push_back(name);
        decode(field(j, path, name.c_str()), boost::hana::second(pair)(x), join(path, name));
    });
    for (const auto& item : j.items())
        if (std::find(names.begin(), names.end(), item.key()) == names.end())
            fail(join(path, item.key()), "unknown field (not part of the model's state)");
}

/// Read a model value back, checking shape, types and ranges.
template <class T> void decode(const itf_json& j, T& x, const std::string& path) {
    if constexpr (is_std_array<T>::value) {
        if (!j.is_array())
            fail(path, "expected a sequence of " + std::to_string(x.size()) + " elements, got " + kind(j));
        if (j.size() != x.size())
            fail(path, "expected " + std::to_string(x.size()) + " elements (the preset's slots), got " +
                           std::to_string(j.size()));
        for (std::size_t i = 0; i < x.size(); ++i) decode(j[i], x[i], path + "[" + std::to_string(i) + "]");
    } else if constexpr (is_struct_v<T>) {
        decode_fields(j, x, path);
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!j.is_boolean()) fail(path, "expected a boolean, got " + kind(j));
        x = j.get<bool>();
    } else {
        x = T(static_cast<int>(integer(j, path, 0, (1 << model::int_width) - 1)));
    }
}

/// The `model::args` fields, by the names the trace uses (args is a plain struct, not Hana).
static_assert(sizeof(model::args) == 8 * sizeof(int), "a new model::args field needs a name in arg_fields()");
struct arg_field {
    const char* name;
    int model::args::*member;
};
inline const std::array<arg_field, 8>& arg_fields() {
    static const std::array<arg_field, 8> all = {{{"mm", &model::args::mm},
                                                  {"mm2", &model::args::mm2},
                                                  {"cpu", &model::args::cpu},
                                                  {"start", &model::args::start},
                                                  {"pages", &model::args::pages},
                                                  {"to", &model::args::to},
                                                  {"value", &model::args::value},
                                                  {"folio", &model::args::folio}}};
    return all;
}

/// Per operation: which args are picks (non-zero in some listed action) and their ranges.
struct op_picks {
    unsigned mask = 0;
    std::array<int, 8> lo{}, hi{};
};
inline std::array<op_picks, model::op_count> picks_of(const std::vector<model::action>& listed) {
    std::array<op_picks, model::op_count> out{};
    std::array<bool, model::op_count> seen{};
    for (const auto& x : listed) {
        auto& p = out[static_cast<int>(x.kind)];
        for (std::size_t f = 0; f < arg_fields().size(); ++f) {
            const int v = x.a.*arg_fields()[f].member;
            if (v != 0) p.mask |= 1u << f;
            p.lo[f] = seen[static_cast<int>(x.kind)] ? std::min(p.lo[f], v) : v;
            p.hi[f] = seen[static_cast<int>(x.kind)] ? std::max(p.hi[f], v) : v;
        }
        seen[static_cast<int>(x.kind)] = true;
    }
    return out;
}

inline bool same_action(const model::action& x, const model::action& y) {
    if (x.kind != y.kind) return false;
    for (const auto& f : arg_fields())
        if (x.a.*f.member != y.a.*f.member) return false;
    return true;
}

/// The first leaf where two states differ: its path, and the recorded and replayed values.
template <class S>
std::optional<std::pair<std::string, std::string>> first_difference(const S& recorded, const S& replayed) {
    if (model::generic::equal(recorded, replayed)) return std::nullopt;
    std::optional<std::pair<std::string, std::string>> out;
    auto show = [](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, bool>) return std::string(v ? "true" : "false");
        else return std::to_string(model::concrete::value(v));
    };
    model::generic::for_each_leaf<true>(
        [&](const std::string& path, const auto& a, const auto& b) {
            if (!out && !(a == b))
                out = {path, "recorded " + show(a) + ", but replaying the actions gives " + show(b)};
        },
        "", recorded, replayed);
    return out;
}

/// Compact, readable layout: a value goes on one line when it fits in `width` columns or is
/// shallow (one slot: a record of scalars and sequences of scalars).
inline std::string flat(const itf_json& j) {
    if (j.is_array()) {
        std::string s = "[";
        for (std::size_t i = 0; i < j.size(); ++i) s += (i ? ", " : "") + flat(j[i]);
        return s + "]";
    }
    if (j.is_object()) {
        std::string s = "{";
        bool first = true;
        for (const auto& item : j.items()) {
            s += (first ? "" : ", ") + itf_json(item.key()).dump(-1, ' ', false, itf_json::error_handler_t::replace) +
                 ": " + flat(item.value());
            first = false;
        }
        return s + "}";
    }
    return j.dump(-1, ' ', false, itf_json::error_handler_t::replace);
}

/// Only scalars, or sequences of scalars, inside: one slot of the model, kept on one line.
inline bool shallow(const itf_json& j) {
    for (const auto& item : j.items()) {
        const auto& v = item.value();
        if (v.is_object() || (v.is_array() && std::any_of(v.begin(), v.end(), [](const auto& e) { return e.is_structured(); })))
            return false;
    }
    return true;
}

inline void layout(const itf_json& j, std::string& out, std::size_t indent, std::size_t width) {
    std::string f = flat(j);
    if (indent + f.size() <= width || !j.is_structured() || j.empty() || shallow(j)) {
        out += f;
        return;
    }
    const std::string pad(indent + 2, ' ');
    out += j.is_array() ? "[\n" : "{\n";
    std::size_t i = 0;
    for (const auto& item : j.items()) {
        out += pad;
        if (j.is_object())
            out += itf_json(item.key()).dump(-1, ' ', false, itf_json::error_handler_t::replace) + ": ";
        layout(item.value(), out, indent + 2, width);
        out += ++i < j.size() ? ",\n" : "\n";
    }
    out += std::string(indent, ' ') + (j.is_array() ? "]" : "}");
}

}  // namespace itf_detail

/// Text of an ITF trace: valid JSON, laid out so that each small record sits on one line.
inline std::string itf_text(const itf_json& j, std::size_t width = 110) {
    std::string out;
    itf_detail::layout(j, out, 0, width);
    return out + "\n";
}

/// The ITF variables of a state type: the action taken, its picks, then the state's fields.
template <class S> std::vector<std::string> itf_vars() {
    std::vector<std::string> out = {itf_action_var, itf_picks_var};
    boost::hana::for_each(boost::hana::accessors<S>(), [&](auto pair) {
        out.push_back(boost::hana::to<const char*>(boost::hana::first(pair)));
    });
    return out;
}

/// The bounds of a run, as #meta.bounds records them.
inline itf_json itf_bounds(const std::string& preset, const config& cfg) {
    return {{"preset", preset}, {"mms", cfg.lim.mms}, {"vmas_per_mm", cfg.lim.vmas}, {"va_pages", cfg.lim.va_pages},
            {"folios", cfg.lim.folios}, {"anon_vmas", cfg.lim.anon_vmas}, {"cpus", cfg.lim.cpus}};
}

/// The fixed model of a trace's configuration: no mutants and, under --design
/// cow_context, every --cow-fix (a finding of the proof of concept as coded is closed by
/// its fix: docs/cow-context-findings.md).
inline config fixed_config(const config& cfg) {
    config fixed = cfg;
    fixed.injected = 0;
    if (fixed.cow())
        for (const auto& f : model::cow_fixes()) fixed.fix(f.id);
    return fixed;
}

/// Whether the trace's configuration has a fixed model other than itself (a mutant, or a
/// --cow-fix left off): then #meta.fixed_expect records what that fixed model does.
inline bool has_fixed_model(const config& cfg) {
    const auto f = fixed_config(cfg);
    return f.injected != cfg.injected || f.cow_fixed != cfg.cow_fixed;
}

/// How a trace's text names its fixed model: "fixed model (no mutants)", "fixed model
/// (every --cow-fix)" or both.
inline std::string fixed_model_label(const config& cfg) {
    const bool mutants = cfg.injected != 0, fixes = fixed_config(cfg).cow_fixed != cfg.cow_fixed;
    return std::string("fixed model (") + (mutants ? "no mutants" : "") + (mutants && fixes ? ", " : "") +
           (fixes ? "every --cow-fix" : "") + ")";
}

/// What the fixed model (fixed_config) does with a trace: "pass" (every step enabled,
/// every invariant holds), {"disabled_at": k} (step k's guard fails or leaves the
/// bounds) or {"violates": name, "at": k} (the fixed model breaks too).
template <class S> itf_json fixed_outcome(const config& cfg, const std::vector<action>& trace) {
    const auto r = replay<S>(fixed_config(cfg), trace, props::all_invariants);
    if (!r.valid) return {{"disabled_at", r.failed_step + 1}};
    if (r.violated >= 0)
        return {{"violates", props::inv_name(static_cast<props::inv>(r.violated))}, {"at", r.violated_at}};
    return "pass";
}

/// A fixed_expect value in words: "passes", "step 3 is not enabled", "violates X at step 3".
inline std::string fixed_outcome_text(const itf_json& f) {
    if (f.is_string()) return "passes";
    if (f.contains("disabled_at")) return "step " + f["disabled_at"].dump() + " is not enabled";
    return "violates " + f.value("violates", std::string("?")) + " at step " + f["at"].dump();
}

/// A trace as ITF.  `meta_extra` (an object) adds provenance to #meta: engine,
/// seed or depth, minimal ("certified (engine, bounds)" / "uncertified"),
/// fixed_expect.  Throws std::logic_error if the trace does not replay.
template <class S>
itf_json to_itf(const config& cfg, const std::string& preset_name, const std::vector<action>& trace,
                int violated_invariant, int violated_at_step, const itf_json& meta_extra = itf_json::object()) {
    if (preset_name != S::preset::name)
        throw std::logic_error("to_itf: preset " + preset_name + " is not the state type's " + S::preset::name);
    std::vector<S> states;
    const auto r = replay<S>(cfg, trace, 0, &states);
    if (!r.valid) throw std::logic_error("to_itf: step " + std::to_string(r.failed_step + 1) + " does not replay");

    itf_json meta = itf_json::object();
    meta["format"] = "ITF";
    meta["format-description"] = itf_format_description;
    meta["source"] = "cowcheck";
    meta["cowcheck_version"] = COWCHECK_VERSION;
    meta["invariant"] = violated_invariant >= 0 ? props::inv_name(static_cast<props::inv>(violated_invariant)) : "";
    meta["violated_at"] = violated_at_step;
    meta["design"] = model::design_name(cfg.rmap);
    meta["bounds"] = itf_bounds(preset_name, cfg);
    meta["mutants"] = cfg.mutant_names();
    if (cfg.cow()) meta["cow_fixes"] = cfg.cow_fix_names();
    if (cfg.mshare()) {
        meta["mshare_flush"] = model::mshare_flush_name(cfg.flush);
        meta["mshare_addr"] = model::mshare_addr_name(cfg.addr);
    }
    if (cfg.phased) meta["phased"] = cfg.phased_names();
    if (meta_extra.is_object())
        for (const auto& item : meta_extra.items()) meta[item.key()] = item.value();

    const auto picks = itf_detail::picks_of(model::actions(cfg));
    itf_json out = itf_json::object();
    out["#meta"] = std::move(meta);
    out["vars"] = itf_vars<S>();
    out["states"] = itf_json::array();
    for (std::size_t i = 0; i < states.size(); ++i) {
        itf_json st = itf_json::object();
        st["#meta"] = {{"index", i}};
        itf_json p = itf_json::object();
        if (i == 0) {
            st[itf_action_var] = "init";
        } else {
            const action& x = trace[i - 1];
            st[itf_action_var] = model::op_name(x.kind);
            const auto& pk = picks[static_cast<int>(x.kind)];
            for (std::size_t f = 0; f < itf_detail::arg_fields().size(); ++f)
                if (pk.mask >> f & 1)
                    p[itf_detail::arg_fields()[f].name] = {{"tag", "Some"}, {"value", x.a.*itf_detail::arg_fields()[f].member}};
        }
        st[itf_picks_var] = std::move(p);
        const itf_json fields = itf_detail::encode(states[i]);
        for (const auto& item : fields.items()) st[item.key()] = item.value();
        out["states"].push_back(std::move(st));
    }
    return out;
}

/// Parse trace text; malformed JSON is a trace_error naming line and column.
inline itf_json parse_itf(const std::string& text) {
    try {
        return itf_json::parse(text);
    } catch (const itf_json::parse_error& e) {
        std::string what = e.what();
        const std::string marker = "parse error at ";
        if (const auto at = what.find(marker); at != std::string::npos) what = what.substr(at + marker.size());
        std::replace(what.begin(), what.end(), '\n', ' ');
        throw trace_error(what + " (not valid JSON)");
    }
}

/// The bounds preset a trace names (#meta.bounds.preset), to choose the state type.
inline std::string itf_preset(const itf_json& j) {
    using namespace itf_detail;
    object(j, "(top level)");
    const auto& meta = object(field(j, "(top level)", "#meta"), "#meta");
    const auto& bounds = object(field(meta, "#meta", "bounds"), "#meta.bounds");
    return str(field(bounds, "#meta.bounds", "preset"), "#meta.bounds.preset");
}

/// A trace read back from ITF, checked against the model.
template <class S> struct itf_trace {
    config cfg;
    std::vector<action> trace;
    int invariant = -1;              // props::inv index
    int violated_at = -1;            // steps taken when it broke (= trace.size())
    std::optional<itf_json> fixed_expect;
    itf_json meta;
    std::vector<S> states;           // as recorded (equal to the replayed ones)
};

/// Read and validate an ITF trace for state type S (see the file comment).
template <class S> itf_trace<S> from_itf(const itf_json& j) {
    using namespace itf_detail;
    using P = typename S::preset;
    itf_trace<S> out;
    out.cfg = config::defaults<P>();   // what the preset fixes; #meta lowers the limits
    object(j, "(top level)");
    for (const auto& item : j.items()) {
        const auto& k = item.key();
        if (k == "loop") fail(k, "lasso-shaped traces are not supported (a counterexample is a finite trace)");
        if (k == "params" && !(item.value().is_array() && item.value().empty()))
            fail(k, "cowcheck traces have no parameters");
        if (k != "#meta" && k != "vars" && k != "states" && k != "params")
            fail(k, "unknown top-level field (ITF has #meta, params, vars, states, loop)");
    }

    // #meta: what was checked, and how.
    const auto& meta = object(field(j, "(top level)", "#meta"), "#meta");
    out.meta = meta;
    if (str(field(meta, "#meta", "format"), "#meta.format") != "ITF") fail("#meta.format", "expected \"ITF\"");
    if (str(field(meta, "#meta", "source"), "#meta.source") != "cowcheck")
        fail("#meta.source", "expected \"cowcheck\" (not a cowcheck trace)");
    for (const char* opt : {"format-description", "cowcheck_version", "engine", "minimal", "description"})
        if (meta.contains(opt)) str(meta[opt], std::string("#meta.") + opt);
    if (meta.contains("seed")) integer(meta["seed"], "#meta.seed", 0, 1ll << 53);
    if (meta.contains("depth")) integer(meta["depth"], "#meta.depth", 0, 1 << 20);
    if (meta.contains("minimal")) {
        const std::string m = meta["minimal"].get<std::string>();
        if (m != "uncertified" && m.rfind("certified", 0) != 0)
            fail("#meta.minimal", "expected \"certified (...)\" or \"uncertified\", got " + quote(m));
    }

    const std::string design = str(field(meta, "#meta", "design"), "#meta.design");
    const auto d = model::design_by_name(design);
    if (!d) fail("#meta.design", "unknown design " + quote(design) + " (known: anon_vma, cow_context, mshare)");
    out.cfg.rmap = *d;
    if (meta.contains("mshare_flush")) {   // written for the mshare design only
        const std::string f = str(meta["mshare_flush"], "#meta.mshare_flush");
        const auto v = model::mshare_flush_by_name(f);
        if (!v) fail("#meta.mshare_flush", "unknown flush strategy " + quote(f) + " (known: flush_all, attacher_list, notifier)");
        out.cfg.flush = *v;
    }
    if (meta.contains("mshare_addr")) {
        const std::string a = str(meta["mshare_addr"], "#meta.mshare_addr");
        const auto v = model::mshare_addr_by_name(a);
        if (!v) fail("#meta.mshare_addr", "unknown address mode " + quote(a) + " (known: per_process, same)");
        out.cfg.addr = *v;
    }

    const auto& bounds = object(field(meta, "#meta", "bounds"), "#meta.bounds");
    const std::string preset = str(field(bounds, "#meta.bounds", "preset"), "#meta.bounds.preset");
    if (preset != P::name)
        fail("#meta.bounds.preset", "the trace uses preset " + quote(preset) + ", this run uses \"" + P::name + "\"");
    auto limit = [&](const char* name, int& dst, int max) {
        const std::string path = std::string("#meta.bounds.") + name;
        const auto v = as_integer(field(bounds, "#meta.bounds", name));
        if (v && (*v < 1 || *v > max))
            fail(path, std::to_string(*v) + " is out of range 1.." + std::to_string(max) + " of preset " + P::name);
        dst = static_cast<int>(integer(bounds[name], path, 1, max));
    };
    limit("mms", out.cfg.lim.mms, P::mms);
    limit("vmas_per_mm", out.cfg.lim.vmas, P::vmas);
    limit("va_pages", out.cfg.lim.va_pages, P::va_pages);
    limit("folios", out.cfg.lim.folios, P::folios);
    limit("anon_vmas", out.cfg.lim.anon_vmas, P::anon_vmas);
    limit("cpus", out.cfg.lim.cpus, P::cpus);
    for (const auto& item : bounds.items())
        if (item.key() != "preset" && item.key() != "mms" && item.key() != "vmas_per_mm" && item.key() != "va_pages" &&
            item.key() != "folios" && item.key() != "anon_vmas" && item.key() != "cpus")
            fail("#meta.bounds." + item.key(), "unknown bound");

    const auto& mutants = field(meta, "#meta", "mutants");
    if (!mutants.is_array()) fail("#meta.mutants", "expected a sequence of mutant names, got " + kind(mutants));
    for (std::size_t i = 0; i < mutants.size(); ++i) {
        const std::string path = "#meta.mutants[" + std::to_string(i) + "]";
        const std::string name = str(mutants[i], path);
        const auto m = model::mutant_by_name(name);
        if (!m) fail(path, "unknown mutant " + quote(name) + " (see `cowcheck list`)");
        out.cfg.inject(*m);
    }
    if (meta.contains("cow_fixes")) {   // written for the cow_context design only
        const auto& fixes = meta["cow_fixes"];
        if (!fixes.is_array()) fail("#meta.cow_fixes", "expected a sequence of --cow-fix names, got " + kind(fixes));
        for (std::size_t i = 0; i < fixes.size(); ++i) {
            const std::string path = "#meta.cow_fixes[" + std::to_string(i) + "]";
            const std::string name = str(fixes[i], path);
            const auto f = model::cow_fix_by_name(name);
            if (!f) fail(path, "unknown --cow-fix " + quote(name) + " (see `cowcheck list`)");
            out.cfg.fix(*f);
        }
    }

    if (meta.contains("phased")) {   // written only when an operation is phased (--phased)
        const auto& ph = meta["phased"];
        if (!ph.is_array()) fail("#meta.phased", "expected a sequence of --phased names, got " + kind(ph));
        for (std::size_t i = 0; i < ph.size(); ++i) {
            const std::string path = "#meta.phased[" + std::to_string(i) + "]";
            const std::string name = str(ph[i], path);
            const auto p = model::phased_by_name(name);
            if (!p) fail(path, "unknown --phased " + quote(name) + " (see `cowcheck list`)");
            out.cfg.phase(*p);
        }
    }

    const std::string inv = str(field(meta, "#meta", "invariant"), "#meta.invariant");
    for (const auto& i : props::invariants())
        if (inv == i.name) out.invariant = static_cast<int>(i.id);
    if (out.invariant < 0) fail("#meta.invariant", "unknown invariant " + quote(inv) + " (see `cowcheck list`)");

    if (meta.contains("fixed_expect")) {
        const auto& f = meta["fixed_expect"];
        const bool ok = (f.is_string() && f.get<std::string>() == "pass") ||
                        (f.is_object() && f.size() == 1 && f.contains("disabled_at") && as_integer(f["disabled_at"])) ||
                        (f.is_object() && f.size() == 2 && f.contains("violates") && f["violates"].is_string() &&
                         f.contains("at") && as_integer(f["at"]));
        if (!ok) fail("#meta.fixed_expect", "expected \"pass\", {\"disabled_at\": k} or {\"violates\": name, \"at\": k}");
        out.fixed_expect = f;
    }

    // vars: exactly the state's variables.
    const auto expected_vars = itf_vars<S>();
    const auto& vars = field(j, "(top level)", "vars");
    if (!vars.is_array()) fail("vars", "expected a sequence of variable names, got " + kind(vars));
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < vars.size(); ++i) {
        const std::string path = "vars[" + std::to_string(i) + "]";
        const std::string v = str(vars[i], path);
        if (std::find(expected_vars.begin(), expected_vars.end(), v) == expected_vars.end())
            fail(path, "unknown variable " + quote(v));
        if (std::find(seen.begin(), seen.end(), v) != seen.end()) fail(path, "variable " + quote(v) + " listed twice");
        seen.push_back(v);
    }
    for (const auto& v : expected_vars)
        if (std::find(seen.begin(), seen.end(), v) == seen.end()) fail("vars", "variable \"" + v + "\" is missing (a trace written by an older model?)");

    // states: the initial state, then one per step, ending where the invariant breaks.
    const auto& states = field(j, "(top level)", "states");
    if (!states.is_array()) fail("states", "expected a sequence of states, got " + kind(states));
    if (states.empty()) fail("states", "no states (a trace starts with the initial state)");
    out.violated_at = static_cast<int>(
        integer(field(meta, "#meta", "violated_at"), "#meta.violated_at", 0, static_cast<long long>(states.size()) - 1));
    if (static_cast<std::size_t>(out.violated_at) + 1 != states.size())
        fail("states", std::to_string(states.size()) + " states, but a trace violated at step " +
                           std::to_string(out.violated_at) + " has " + std::to_string(out.violated_at + 1) +
                           " (the initial state and one per step, ending where the invariant breaks)");

    const auto listed = model::actions(out.cfg);
    const auto picks = picks_of(listed);
    S cur = model::initial_state<S>(&out.cfg);
    for (std::size_t i = 0; i < states.size(); ++i) {
        const std::string sp = "states[" + std::to_string(i) + "]";
        const auto& st = object(states[i], sp);
        const auto& smeta = object(field(st, sp, "#meta"), sp + ".#meta");
        if (integer(field(smeta, sp + ".#meta", "index"), sp + ".#meta.index", 0, 1ll << 53) != static_cast<long long>(i))
            fail(sp + ".#meta.index", "is " + preview(smeta["index"]) + ", expected " + std::to_string(i));
        const std::string ap = sp + "." + itf_action_var, pp = sp + "." + itf_picks_var;
        const std::string name = str(field(st, sp, itf_action_var), ap);
        const auto& pj = object(field(st, sp, itf_picks_var), pp);
        std::string step_text = "the initial state";
        if (i == 0) {
            if (name != "init") fail(ap, "the initial state's action is \"init\", got " + quote(name));
            if (!pj.empty()) fail(pp, "the initial state has no picks");
        } else {
            action x{model::op::count_, {}};
            for (const auto& o : model::ops())
                if (name == o.name) x.kind = o.id;
            if (x.kind == model::op::count_) fail(ap, "unknown action " + quote(name) + " (see `cowcheck list`)");
            const auto& pk = picks[static_cast<int>(x.kind)];
            for (const auto& item : pj.items()) {
                std::size_t f = 0;
                while (f < arg_fields().size() && item.key() != arg_fields()[f].name) ++f;
                if (f == arg_fields().size() || !(pk.mask >> f & 1))
                    fail(pp + "." + item.key(), "not a parameter of " + name);
                const itf_json* v = &item.value();
                if (v->is_object() && v->contains("tag")) {
                    if ((*v)["tag"] != "Some" || !v->contains("value") || v->size() != 2)
                        fail(pp + "." + item.key(), "expected {\"tag\": \"Some\", \"value\": n}, got " + preview(*v));
                    v = &(*v)["value"];
                }
                x.a.*arg_fields()[f].member = static_cast<int>(integer(*v, pp + "." + item.key(), pk.lo[f], pk.hi[f]));
            }
            for (std::size_t f = 0; f < arg_fields().size(); ++f)
                if ((pk.mask >> f & 1) && !pj.contains(arg_fields()[f].name))
                    fail(pp, std::string("missing parameter \"") + arg_fields()[f].name + "\" of " + name);
            if (std::none_of(listed.begin(), listed.end(), [&](const action& y) { return same_action(x, y); }))
                fail(pp, name + " with these parameters (" + model::describe(x) + ") is not an action at these bounds");
            step_text = "step " + std::to_string(i) + ": " + model::describe(x);
            if (!model::enabled(out.cfg, cur, x))
                fail(ap, step_text + " is not enabled in the state before it");
            if (!model::step(out.cfg, cur, x)) fail(ap, step_text + " leaves the bounds (a slot pool ran out)");
            out.trace.push_back(x);
        }
        S rec{};
        decode_fields(st, rec, sp, {"#meta", itf_action_var, itf_picks_var});
        if (const auto diff = first_difference(rec, cur))
            fail(sp + "." + diff->first, diff->second + " (after " + step_text + ")");
        out.states.push_back(rec);
    }
    return out;
}

}  // namespace solver
