// cli/cmd_replay.cpp — `cowcheck replay FILE...`: does each recorded counterexample
// still do what its file says, on the current model?
//
// Each file is read and checked against the model with the configuration in its
// #meta (a field, name or state that does not match is an input error, exit 2);
// then its actions are replayed and the recorded invariant checked after every
// step: "still violates X at step k" is as recorded, "violates X at a different
// step" and "no longer violates X" are not (exit 1).  A file recorded against
// mutants, or under --design cow_context with a --cow-fix off (a finding of the PoC),
// also says what the fixed model (no mutants, every --cow-fix) does with it
// (#meta.fixed_expect: passes, or some step is not enabled); that is checked too.
#include <iostream>

#include "common.hpp"
#include "trace_files.hpp"

namespace cli {

namespace {

struct replay_options {
    std::vector<std::string> files;
    bool json = false;
};

struct file_verdict {
    bool as_recorded = false;
    std::string text;        // one line, after "FILE: "
    nlohmann::json json;
};

template <class P> file_verdict replay_file(const solver::itf_json& j) {
    using S = model::state<model::concrete, P>;
    const auto t = solver::from_itf<S>(j);
    const std::string name = props::inv_name(static_cast<props::inv>(t.invariant));
    const auto at = solver::breaks<S>(t.cfg, t.trace, t.invariant);
    file_verdict v;
    v.json = {{"invariant", name}, {"recorded_at", t.violated_at}, {"violated_at", at ? nlohmann::json(*at) : nullptr}};
    if (at && *at == t.violated_at) {
        v.as_recorded = true;
        v.text = "still violates " + name + " at step " + std::to_string(*at);
        v.json["result"] = "still_violates";
    } else if (at) {
        v.text = "violates " + name + " at a different step: " + std::to_string(*at) + ", recorded " +
                 std::to_string(t.violated_at);
        v.json["result"] = "different_step";
    } else {
        v.text = "no longer violates " + name + " (recorded at step " + std::to_string(t.violated_at) + ")";
        v.json["result"] = "no_longer_violates";
    }
    if (t.fixed_expect) {
        const auto got = solver::fixed_outcome<S>(t.cfg, t.trace);
        v.json["fixed_expect"] = *t.fixed_expect;
        v.json["fixed_outcome"] = got;
        if (got == *t.fixed_expect) {
            v.text += "; the fixed model " + solver::fixed_outcome_text(got) + ", as recorded";
        } else {
            v.as_recorded = false;
            v.text += "; but the fixed model now " + solver::fixed_outcome_text(got) + ", recorded: " +
                      solver::fixed_outcome_text(*t.fixed_expect);
            if (v.json["result"] == "still_violates") v.json["result"] = "fixed_model_differs";
        }
    }
    return v;
}

int run_replay(const replay_options& o) {
    int code = exit_clean;
    nlohmann::json all = nlohmann::json::array();
    for (const auto& file : o.files) {
        try {
            const auto j = load_trace(file);
            file_verdict v;
            with_trace_preset(j, [&]<class P>() {
                v = replay_file<P>(j);
                return 0;
            });
            if (!v.as_recorded && code == exit_clean) code = exit_violation;
            v.json["file"] = file;
            all.push_back(v.json);
            if (!o.json) std::cout << file << ": " << v.text << "\n";
        } catch (const solver::trace_error& e) {
            code = exit_usage;
            all.push_back({{"file", file}, {"result", "error"}, {"error", e.what()}});
            std::cout.flush();
            std::cerr << "cowcheck: error: " << file << ": " << e.what() << "\n";
        }
    }
    if (o.json) {
        const char* result = code == exit_clean ? "as_recorded" : code == exit_violation ? "differs" : "error";
        std::cout << nlohmann::json{{"result", result}, {"files", all}}.dump(2) << "\n";
    }
    return code;
}

}  // namespace

void add_replay(CLI::App& app, int& code) {
    auto o = std::make_shared<replay_options>();
    auto* cmd = app.add_subcommand(
        "replay",
        "replay trace files (ITF JSON) on the current model with the bounds, design and mutants recorded in "
        "each: exit 0 if every recorded violation still happens at its recorded step (and the fixed model does "
        "what #meta.fixed_expect says), 1 if one differs, 2 if a file is unreadable or does not match the model "
        "(one line naming the file and the JSON path).");
    cmd->add_option("files", o->files, "trace files (.itf.json)")->required();
    cmd->add_flag("--json", o->json, "print the verdicts as one JSON object");
    cmd->callback([o, &code] { code = run_replay(*o); });
}

}  // namespace cli
