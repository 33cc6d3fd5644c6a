#include "ui/model/TrainEvents.h"

#include <limits>

#include <nlohmann/json.hpp>

namespace dacw {

namespace {

double number(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

TrainEvent parseTrainEvent(const std::string& line) {
    TrainEvent e;
    if (line.empty() || line.front() != '{') return e;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("event") || !j["event"].is_string()) return e;
    const std::string kind = j["event"].get<std::string>();
    e.iteration = static_cast<long long>(number(j, "iteration"));
    if (kind == "progress") {
        e.kind = TrainEvent::Kind::Progress;
        train::Progress& p = e.progress;
        p.iteration = e.iteration;
        p.total = static_cast<int64_t>(number(j, "total"));
        p.lr = number(j, "lr");
        p.imagesPerSecond = number(j, "images_per_s");
        p.secondsPerIteration = number(j, "s_per_iter");
        p.etaSeconds = number(j, "eta_s");
        p.skipped = j.value("skipped", false);
        p.validated = j.value("validated", false);
        if (const auto losses = j.find("losses"); losses != j.end() && losses->is_object())
            for (const auto& [name, v] : losses->items())
                p.losses[name] = v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
    } else if (kind == "validation") {
        e.kind = TrainEvent::Kind::Validation;
        e.progress.iteration = e.iteration;
        e.progress.validated = true;
        std::vector<double> dice;
        if (const auto d = j.find("dice"); d != j.end() && d->is_array())
            for (const auto& v : *d) dice.push_back(v.is_number() ? v.get<double>() : 0.0);
        e.progress.validation[j.value("submodel", std::string("?"))][j.value("domain", std::string("?"))] = dice;
    } else if (kind == "message") {
        e.kind = TrainEvent::Kind::Message;
        e.text = j.value("text", std::string());
    } else if (kind == "finished") {
        e.kind = TrainEvent::Kind::Finished;
    } else if (kind == "cancelled") {
        e.kind = TrainEvent::Kind::Cancelled;
    }
    return e;
}

std::vector<train::Progress> TrainEventJoiner::add(const TrainEvent& e) {
    if (e.kind == TrainEvent::Kind::Validation && holding_ && e.iteration == held_.iteration) {
        for (const auto& [sub, doms] : e.progress.validation)
            for (const auto& [dom, dice] : doms) held_.validation[sub][dom] = dice;
        return {};
    }
    std::vector<train::Progress> out = flush();
    if (e.kind != TrainEvent::Kind::Progress) return out;
    if (e.progress.validated) {
        held_ = e.progress;
        holding_ = true;
    } else {
        out.push_back(e.progress);
    }
    return out;
}

std::vector<train::Progress> TrainEventJoiner::flush() {
    if (!holding_) return {};
    holding_ = false;
    return {std::move(held_)};
}

}  // namespace dacw
