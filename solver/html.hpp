// solver/html.hpp — a counterexample as one self-contained HTML page.
//
// The page a reviewer opens from a mail or a CI artifact: the numbered steps on
// the left (the narrative), and for the selected step what the kernel did (the
// operation, its parameters, the kernel function it follows), the object graph
// of the state after it (solver/dot.hpp rendered by Graphviz when the page is
// written: objects the step changed in blue, class "changed"; at the failing
// step the objects the broken invariant involves in red, class "violating"),
// and the state's object lines with what changed marked ("+" new or changed,
// "-" gone).  A slider, the arrow keys (Home/End) and a click on a step select
// it; "#step=N" (or "#step=fail") in the URL selects one on load (default: the
// failing step), "&diff" turns the diff on; the "diff" toggle (or the d key)
// keeps only the changed lines and fades the unchanged graph nodes; a click on
// the graph switches between fit-to-width and actual size.
//
// Self-contained: inline CSS, one inline script, SVG inlined; no external
// resource of any kind.  Every text that comes from the trace file (the file
// name, #meta strings) is HTML-escaped; the SVGs contain only text the model
// generates, are stripped of their XML prologue and comments, and are refused
// (std::runtime_error) if dot ever emitted script, links or foreign objects.
//
// Hundreds of steps: every step's SVG sits in an inert <template> and only the
// selected one is cloned into the document, so the page lays out one graph at
// a time.  Graphs are drawn for at most html_max_graphs states (the last ones,
// where the bug is); earlier steps then show their text only, with a note.
//
// Simplifications: "what the step changed" in the graph is a node whose dot
// declaration or outgoing edges differ from the state before (objects that went
// away are not in the graph; the "-" lines list them).
#pragma once
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dot.hpp"
#include "graphviz.hpp"
#include "itf.hpp"
#include "narrative.hpp"

namespace solver {

/// At most this many object graphs per page (the last states of the trace).
inline constexpr std::size_t html_max_graphs = 500;

/// What the page says about the trace above the steps (all of it escaped).
struct html_header {
    std::string title;                                         // e.g. "INV broken after step 4"
    std::vector<std::pair<std::string, std::string>> facts;    // label, value
    std::vector<std::string> notes;                            // warnings, e.g. "no longer breaks"
};

namespace html_detail {

/// Text for HTML content and attribute values: & < > " ' escaped, control characters dropped.
inline std::string esc(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&#39;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') o += "\xEF\xBF\xBD";   // U+FFFD
                else o += c;
        }
    }
    return o;
}

/// Per node id of a dot text we wrote: its declaration and its drawn outgoing edges.
inline std::map<std::string, std::string> node_signatures(const std::string& dot) {
    std::map<std::string, std::string> sig;
    std::istringstream in(dot);
    for (std::string line; std::getline(in, line);) {
        const auto b = line.find_first_not_of(' ');
        if (b == std::string::npos) continue;
        line.erase(0, b);
        std::size_t e = 0;
        while (e < line.size() && (std::isalnum(static_cast<unsigned char>(line[e])) || line[e] == '_')) ++e;
        if (e == 0) continue;
        const std::string ident = line.substr(0, e);
        if (ident == "subgraph" || ident == "graph" || ident == "node" || ident == "edge" || ident == "digraph" ||
            ident == "label")
            continue;
        if (line.compare(e, 4, " -> ") == 0) {
            if (line.find("style=invis") == std::string::npos) sig[ident] += "\n" + line.substr(e);
        } else if (line.compare(e, 2, " [") == 0) {
            sig[ident] += "\n" + line;
        }
    }
    return sig;
}

/// Nodes of `after` that are new or differ from `before` (declaration or edges).
inline std::set<std::string> changed_nodes(const std::string& before, const std::string& after) {
    const auto a = node_signatures(before), b = node_signatures(after);
    std::set<std::string> out;
    for (const auto& [id, sig] : b) {
        const auto it = a.find(id);
        if (it == a.end() || it->second != sig) out.insert(id);
    }
    return out;
}

inline std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// dot's SVG made fit to inline: no XML prologue, DOCTYPE, comments or namespace URLs.
inline std::string inline_svg(const std::string& svg) {
    const auto start = svg.find("<svg");
    if (start == std::string::npos) throw std::runtime_error("dot wrote no <svg> element");
    std::string s;
    for (std::size_t i = start; i < svg.size();) {
        if (svg.compare(i, 4, "<!--") == 0) {
            const auto e = svg.find("-->", i + 4);
            if (e == std::string::npos) throw std::runtime_error("dot wrote an unterminated comment");
            i = e + 3;
            if (i < svg.size() && svg[i] == '\n') ++i;
            continue;
        }
        s += svg[i++];
    }
    for (const char* ns : {" xmlns=\"http://www.w3.org/2000/svg\"", " xmlns:xlink=\"http://www.w3.org/1999/xlink\""})
        if (const auto p = s.find(ns); p != std::string::npos) s.erase(p, std::string(ns).size());
    const std::string l = lower(s);
    for (const char* bad : {"<script", "<foreignobject", "<iframe", "<style", "href", "javascript:", "http:", "https:",
                            "<!doctype", "<?xml"})
        if (l.find(bad) != std::string::npos)
            throw std::runtime_error(std::string("dot's SVG contains \"") + bad + "\"; refusing to inline it");
    return s;
}

inline const char* page_css() {
    return R"css(
:root { --blue: #1565c0; --red: #c62828; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
html, body { height: 100%; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
       background: #f6f8fa; display: flex; flex-direction: column; }
header { padding: 10px 16px 6px; background: #fff; border-bottom: 1px solid var(--line); max-height: 30vh; overflow: auto;
         flex: none; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header h1 .inv { color: var(--red); }
dl.facts { display: flex; flex-wrap: wrap; gap: 2px 18px; margin: 0; font-size: 13px; }
dl.facts div { display: flex; gap: 5px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; overflow-wrap: anywhere; }
p.note { margin: 4px 0 0; color: #9a6700; font-size: 13px; }
#controls { flex: none; display: flex; align-items: center; gap: 10px; padding: 6px 16px;
            background: #fff; border-bottom: 1px solid var(--line); }
#controls input[type=range] { flex: 1; min-width: 120px; }
#controls button { font-size: 14px; padding: 2px 10px; }
#pos { font-variant-numeric: tabular-nums; min-width: 7em; }
.hint { color: var(--muted); font-size: 12px; }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(220px, 300px) 1fr; }
#narrative { margin: 0; padding: 8px 0; list-style: none; position: relative; height: 100%; overflow-y: auto;
             border-right: 1px solid var(--line); background: #fff; font-size: 13px; }
#narrative li { padding: 3px 10px 3px 12px; cursor: pointer; border-left: 4px solid transparent; }
#narrative li:hover { background: #f0f3f6; }
#narrative li.current { background: #ddf4ff; border-left-color: var(--blue); }
#narrative li.failing { color: var(--red); font-weight: 600; }
#narrative .n { display: inline-block; min-width: 2.2em; color: var(--muted); font-variant-numeric: tabular-nums; }
#stage { padding: 10px 16px; min-width: 0; height: 100%; overflow-y: auto; }
section.step h2 { font-size: 16px; margin: 0 0 4px; }
section.step h2 .n { color: var(--muted); }
.kernel { margin: 0 0 6px; color: var(--muted); }
.kernel code { color: #1f2328; }
table.params { border-collapse: collapse; margin: 0 0 8px; font-size: 12px; }
table.params td { border: 1px solid var(--line); padding: 1px 8px; font-family: ui-monospace, monospace; background: #fff; }
table.params td:first-child { color: var(--muted); }
.broken { border: 2px solid var(--red); background: #fff5f5; border-radius: 6px; padding: 6px 10px; margin: 0 0 8px; }
.broken h3 { margin: 0 0 2px; font-size: 15px; color: var(--red); }
.broken p { margin: 2px 0; }
pre.involved { border: 2px solid var(--red); background: #fff5f5; border-radius: 6px; padding: 6px 10px;
               margin: 8px 0 0; font-size: 12px; white-space: pre-wrap; }
.legend { font-size: 12px; color: var(--muted); margin: 0 0 4px; }
.legend .c { color: var(--blue); font-weight: 600; }
.legend .v { color: var(--red); font-weight: 600; }
#graph { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px; overflow: auto;
         text-align: center; }
#graph svg { max-width: 100%; height: auto; cursor: zoom-in; }
#graph.actual svg { max-width: none; cursor: zoom-out; }
#graph .nograph { color: var(--muted); font-style: italic; }
pre.objects { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; margin: 8px 0 0;
              font-size: 12px; line-height: 1.35; white-space: pre-wrap; }
pre.objects span { display: block; }
pre.objects .chg { color: var(--blue); background: #eef6ff; }
pre.objects .del { color: #8c959f; text-decoration: line-through; background: #fafafa; }
pre.objects .none { color: var(--muted); font-style: italic; }
body.diffonly pre.objects .same { display: none; }
body.diffonly #graph g.node:not(.changed):not(.violating), body.diffonly #graph g.edge { opacity: 0.25; }
section.step[hidden] { display: none; }
)css";
}

inline const char* page_js() {
    return R"js(
(function () {
  "use strict";
  var body = document.body;
  var steps = Array.prototype.slice.call(document.querySelectorAll("#stage section.step"));
  var items = Array.prototype.slice.call(document.querySelectorAll("#narrative li"));
  var list = document.getElementById("narrative");
  var slider = document.getElementById("slider");
  var graph = document.getElementById("graph");
  var pos = document.getElementById("pos");
  var diff = document.getElementById("diff");
  var failing = parseInt(body.getAttribute("data-failing"), 10);
  var last = steps.length - 1;
  var cur = -1;
  function show(k) {
    if (isNaN(k)) k = failing;
    k = Math.max(0, Math.min(last, k));
    if (k === cur) return;
    if (cur >= 0) { steps[cur].hidden = true; items[cur].classList.remove("current"); }
    cur = k;
    steps[k].hidden = false;
    items[k].classList.add("current");
    // Keep the selected step visible in the list, scrolling the list only (not the page).
    var li = items[k];
    if (li.offsetTop < list.scrollTop) list.scrollTop = li.offsetTop - 8;
    else if (li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight)
      list.scrollTop = li.offsetTop + li.offsetHeight - list.clientHeight + 8;
    steps[k].querySelector(".slot").appendChild(graph);
    while (graph.firstChild) graph.removeChild(graph.firstChild);
    var t = steps[k].querySelector("template.graph");
    if (t) {
      graph.appendChild(document.importNode(t.content, true));
    } else {
      var p = document.createElement("p");
      p.className = "nograph";
      p.textContent = steps[k].getAttribute("data-nograph") || "no graph for this step";
      graph.appendChild(p);
    }
    graph.setAttribute("data-step", String(k));
    body.setAttribute("data-step", String(k));
    slider.value = String(k);
    pos.textContent = "step " + k + " / " + last;
    var h = "#step=" + k + (diff.checked ? "&diff" : "");
    if (location.hash !== h && history.replaceState) {
      try { history.replaceState(null, "", h); } catch (e) { /* file: URLs in some browsers */ }
    }
  }
  function fromHash() {
    var m = /step=(\d+|fail)/.exec(location.hash);
    if (!m) return failing;
    return m[1] === "fail" ? failing : parseInt(m[1], 10);
  }
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.getElementById("prev").addEventListener("click", function () { show(cur - 1); });
  document.getElementById("next").addEventListener("click", function () { show(cur + 1); });
  items.forEach(function (li, i) { li.addEventListener("click", function () { show(i); }); });
  function setDiff(on) {
    diff.checked = on;
    body.classList.toggle("diffonly", on);
    var k = cur; cur = -1; show(k);   // the URL says it too
  }
  diff.addEventListener("change", function () { setDiff(diff.checked); });
  graph.addEventListener("click", function () { graph.classList.toggle("actual"); });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    var k = null;
    if (e.key === "ArrowRight" || e.key === "ArrowDown") k = cur + 1;
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") k = cur - 1;
    else if (e.key === "Home") k = 0;
    else if (e.key === "End") k = last;
    else if (e.key === "d") setDiff(!diff.checked);
    if (k !== null) { e.preventDefault(); show(k); }
  });
  window.addEventListener("hashchange", function () { show(fromHash()); });
  steps.forEach(function (s) { s.hidden = true; });
  if (/(^#|&)diff\b/.test(location.hash)) { diff.checked = true; body.classList.add("diffonly"); }
  show(fromHash());
  body.setAttribute("data-ready", "1");
})();
)js";
}

}  // namespace html_detail

/// The page for a trace (see the file comment).  `violated` is the invariant to
/// mark at the last state (-1: none, e.g. it no longer breaks on this model).
/// Runs `dot` once for all graphs; throws std::runtime_error if that fails.
template <class S>
std::string trace_html(const config& cfg, const std::vector<action>& trace, int violated, const html_header& head) {
    using html_detail::esc;
    std::vector<S> all;
    replay<S>(cfg, trace, 0, &all);   // every state, not stopping at the first violation
    const std::size_t n = all.size();
    const std::size_t failing = n - 1;
    const std::size_t first_graph = n > html_max_graphs ? n - html_max_graphs : 0;

    // Graphs: the plain graph of each state tells what a step changed; the drawn
    // one adds the marks.
    std::vector<std::string> graphs;
    std::string prev_plain;
    for (std::size_t k = 0; k < n; ++k) {
        std::string plain = k + 1 >= first_graph ? to_dot(cfg, all[k], -1, "") : std::string();
        if (k >= first_graph) {
            dot_marks marks;
            marks.classes = true;
            if (k > 0) marks.changed = html_detail::changed_nodes(prev_plain, plain);
            graphs.push_back(to_dot(cfg, all[k], k == failing ? violated : -1, "", &marks));
        }
        prev_plain = std::move(plain);
    }
    auto svgs = dot_to_svgs(graphs);

    const auto picks = itf_detail::picks_of(model::actions(cfg));
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>cowcheck: " << esc(head.title) << "</title>\n<style>" << html_detail::page_css() << "</style>\n</head>\n"
      << "<body data-steps=\"" << n - 1 << "\" data-failing=\"" << failing << "\">\n<header>\n<h1>";
    if (violated >= 0)
        o << "<span class=\"inv\">" << esc(props::invariants()[violated].name) << "</span> broken after step " << failing;
    else
        o << esc(head.title);
    o << "</h1>\n<dl class=\"facts\">";
    for (const auto& [label, value] : head.facts)
        o << "<div><dt>" << esc(label) << "</dt><dd>" << esc(value) << "</dd></div>";
    o << "</dl>\n";
    for (const auto& note : head.notes) o << "<p class=\"note\">" << esc(note) << "</p>\n";
    if (first_graph > 0)
        o << "<p class=\"note\">This trace has " << n - 1 << " steps: object graphs are drawn for the last "
          << html_max_graphs << " states only (steps " << first_graph << " to " << failing
          << "); earlier steps show their objects as text.</p>\n";
    o << "</header>\n<nav id=\"controls\"><button id=\"prev\" title=\"previous step (left arrow)\">&#9664;</button>"
      << "<input type=\"range\" id=\"slider\" min=\"0\" max=\"" << failing << "\" value=\"" << failing
      << "\" aria-label=\"step\"><button id=\"next\" title=\"next step (right arrow)\">&#9654;</button>"
      << "<span id=\"pos\">step " << failing << " / " << failing << "</span>"
      << "<label><input type=\"checkbox\" id=\"diff\"> diff: only what changed</label>"
      << "<span class=\"hint\">&larr; &rarr; Home End, d: diff</span></nav>\n<main>\n<ol id=\"narrative\">\n";
    for (std::size_t k = 0; k < n; ++k) {
        o << "<li data-step=\"" << k << "\"" << (k == failing && violated >= 0 ? " class=\"failing\"" : "")
          << "><span class=\"n\">" << k << ".</span> "
          << esc(k == 0 ? std::string("initial state") : step_title(cfg, all[k - 1], trace[k - 1])) << "</li>\n";
    }
    o << "</ol>\n<div id=\"stage\">\n";
    for (std::size_t k = 0; k < n; ++k) {
        o << "<section class=\"step" << (k == failing ? " failing" : "") << "\" data-step=\"" << k << "\"";
        if (k < first_graph)
            o << " data-nograph=\"no graph: graphs are drawn for the last " << html_max_graphs << " states only\"";
        o << (k == failing ? "" : " hidden") << ">\n";
        if (k == 0) {
            o << "<h2><span class=\"n\">0.</span> initial state</h2>\n"
              << "<p class=\"kernel\">mm0 running on cpu0, no VMAs</p>\n";
        } else {
            const auto& x = trace[k - 1];
            const auto& info = model::ops()[static_cast<int>(x.kind)];
            o << "<h2><span class=\"n\">" << k << ".</span> " << esc(step_title(cfg, all[k - 1], x)) << "</h2>\n"
              << "<p class=\"kernel\">" << esc(info.name) << " follows <code>" << esc(info.kernel) << "</code></p>\n"
              << "<table class=\"params\"><tr><td>action</td><td>" << esc(info.name) << "</td></tr>";
            const auto& pk = picks[static_cast<int>(x.kind)];
            for (std::size_t f = 0; f < itf_detail::arg_fields().size(); ++f)
                if (pk.mask >> f & 1)
                    o << "<tr><td>" << esc(itf_detail::arg_fields()[f].name) << "</td><td>"
                      << x.a.*itf_detail::arg_fields()[f].member << "</td></tr>";
            o << "</table>\n";
        }
        if (k == failing && violated >= 0) {
            const auto& info = props::invariants()[violated];
            o << "<div class=\"broken\"><h3>broken after step " << k << ": " << esc(info.name) << "</h3>"
              << "<p>claim: " << esc(info.claim) << "</p><p>kernel rule: " << esc(info.rule) << "</p>";
            if (all.back().bug.v) o << "<p>BUG: " << esc(model::bug_name(all.back().bug.v)) << "</p>";
            o << "</div>\n";
        }
        if (k == 0) {
            o << "<p class=\"legend\">object graph of the initial state</p>\n";
        } else {
            o << "<p class=\"legend\">object graph after this step: <span class=\"c\">blue</span> = changed by the step";
            if (k == failing && violated >= 0) o << ", <span class=\"v\">red</span> = involved in the violation";
            o << " (click the graph: fit to width / actual size)</p>\n";
        }
        if (k >= first_graph)
            o << "<template class=\"graph\">" << html_detail::inline_svg(svgs[k - first_graph]) << "</template>\n";
        // The one graph view lives in the selected step's slot (the script moves it).
        o << "<div class=\"slot\">" << (k == failing ? "<div id=\"graph\" data-step=\"\"></div>" : "") << "</div>\n";
        if (k == failing && violated >= 0)
            o << "<pre class=\"involved\">objects involved:\n" << esc(objects_text(all.back(), objects_of(violated), "  "))
              << "</pre>\n";

        // Object lines, with what the step changed.
        const auto now = object_lines(all[k]);
        const auto before = k > 0 ? object_lines(all[k - 1]) : now;
        auto in = [](const std::vector<std::string>& v, const std::string& x) {
            return std::find(v.begin(), v.end(), x) != v.end();
        };
        std::vector<std::string> gone;
        for (const auto& x : before)
            if (!in(now, x)) gone.push_back(x);
        std::vector<bool> shown_gone(gone.size(), false);
        auto key = [](const std::string& line) {   // "mm0 (mmap_lock held ...) ..." and "mm0 mm_cpumask=..." are mm0
            if (line.rfind("mm", 0) == 0 && line.find(" vma") != line.find(' ')) return line.substr(0, line.find(' '));
            return object_key(line);
        };
        o << "<pre class=\"objects\">";
        bool any_change = false;
        for (const auto& y : now) {
            if (in(before, y)) {
                o << "<span class=\"same\">  " << esc(y) << "</span>";
                continue;
            }
            any_change = true;
            for (std::size_t g = 0; g < gone.size(); ++g)
                if (!shown_gone[g] && key(gone[g]) == key(y)) {
                    o << "<span class=\"del\">- " << esc(gone[g]) << "</span>";
                    shown_gone[g] = true;
                }
            o << "<span class=\"chg\">+ " << esc(y) << "</span>";
        }
        for (std::size_t g = 0; g < gone.size(); ++g)
            if (!shown_gone[g]) {
                any_change = true;
                o << "<span class=\"del\">- " << esc(gone[g]) << "</span>";
            }
        if (!any_change && k > 0) o << "<span class=\"none\">(no object changed)</span>";
        o << "</pre>\n</section>\n";
    }
    o << "</div>\n</main>\n<script>" << html_detail::page_js()
      << "</script>\n</body>\n</html>\n";
    return o.str();
}

}  // namespace solver
