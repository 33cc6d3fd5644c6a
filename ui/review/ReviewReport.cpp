#include "ui/review/ReviewReport.h"

#include <cmath>

#include <QBuffer>
#include <QDateTime>
#include <QSaveFile>

#include "core/dataset/Domain.h"
#include "core/image/ImageIO.h"

namespace dacw {

namespace {

QString esc(const std::string& s) { return QString::fromStdString(s).toHtmlEscaped(); }

QString fmt(double v, int p) { return std::isfinite(v) ? QString::number(v, 'f', p) : QString("&ndash;"); }

QString dataUri(const QImage& img) {
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    img.save(&buf, "PNG");
    return "data:image/png;base64," + QString::fromLatin1(bytes.toBase64());
}

QRgb labelColor(const Task& task, std::uint8_t v, bool errorColors) {
    if (errorColors) return v == kFalsePositive ? qRgb(255, 60, 40) : qRgb(40, 140, 255);  // FP red, FN blue
    if (const LabelInfo* l = task.label(v)) return qRgb(l->color[0], l->color[1], l->color[2]);
    return qRgb(255, 255, 0);
}

const DomainResult* domainIn(const std::vector<DomainResult>& v, const std::string& name) {
    for (const auto& d : v)
        if (d.name == name) return &d;
    return nullptr;
}

}  // namespace

QImage renderOverlay(const Image& image, const LabelMap* labels, const Task& task, bool errorColors, int maxSide) {
    const std::size_t w = image.width(), h = image.height(), z = image.depth() / 2;
    QImage out(int(w), int(h), QImage::Format_RGB32);
    const auto [lo, hi] = image.range();
    const double scale = hi > lo ? 255.0 / (hi - lo) : 1.0;
    const int comps = image.components();
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) {
            int c[3];
            for (int k = 0; k < 3; ++k) {
                const double v = (image.at(x, y, z, comps == 3 ? k : 0) - lo) * scale;
                c[k] = std::clamp(int(std::lround(v)), 0, 255);
            }
            QRgb p = qRgb(c[0], c[1], c[2]);
            if (labels && labels->width() == w && labels->height() == h) {
                const std::uint8_t v = labels->at(x, y, std::min(z, labels->depth() - 1));
                if (v) {
                    const QRgb l = labelColor(task, v, errorColors);
                    p = qRgb((qRed(p) + 2 * qRed(l)) / 3, (qGreen(p) + 2 * qGreen(l)) / 3, (qBlue(p) + 2 * qBlue(l)) / 3);
                }
            }
            out.setPixel(int(x), int(y), p);
        }
    if (std::max(w, h) > std::size_t(maxSide)) out = out.scaled(maxSide, maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return out;
}

QString reviewReportHtml(const ReviewData& data, const Project* project, int worstN) {
    QString h;
    const QString title = data.hasB() ? QString("Review: %1 vs %2").arg(esc(data.nameA), esc(data.nameB))
                                      : QString("Review: %1").arg(esc(data.nameA));
    h += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
         "</title>\n<style>"
         "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}"
         "td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}"
         ".strip img{margin:2px;border:1px solid #999}.strip{margin:12px 0}.cap{font-size:12px;color:#555}"
         "</style></head><body>\n";
    h += "<h1>" + title + "</h1>\n<p>Task " + esc(data.task.name) + ", " + QString::number(data.cases.size()) +
         " test cases. Generated " + QDateTime::currentDateTime().toString(Qt::ISODate) + " by DAC Workbench.</p>\n";

    // Per-domain table.
    h += "<h2>Per-domain summary</h2>\n<table id=\"per-domain\"><tr><th class=\"l\">Domain</th><th>Cases</th>";
    auto runs = std::vector<std::pair<std::string, const std::vector<DomainResult>*>>{{data.nameA, &data.domainsA}};
    if (data.hasB()) runs.push_back({data.nameB, &data.domainsB});
    for (const auto& [name, _] : runs)
        for (const auto& reg : data.regions)
            h += "<th>Dice " + esc(reg) + (data.hasB() ? " (" + esc(name) + ")" : "") + "</th><th>HD95 " + esc(reg) +
                 (data.hasB() ? " (" + esc(name) + ")" : "") + " " + esc(data.hd95Unit) + "</th>";
    const bool vcdr = data.hasVcdr();
    if (vcdr)
        for (const auto& [name, _] : runs) h += "<th>vCDR MAE" + (data.hasB() ? " (" + esc(name) + ")" : QString()) + "</th>";
    h += "</tr>\n";
    for (const auto& dom : data.domainsA) {
        h += "<tr><td class=\"l\">" + esc(dom.name) + "</td><td>" + QString::number(dom.cases) + "</td>";
        for (const auto& [name, list] : runs) {
            const DomainResult* dr = domainIn(*list, dom.name);
            for (const auto& reg : data.regions) {
                const double dice = dr && dr->dice.count(reg) ? dr->dice.at(reg) : NAN;
                const double hd = dr && dr->hd95.count(reg) ? dr->hd95.at(reg) : NAN;
                h += "<td>" + fmt(dice, 3) + "</td><td>" + fmt(hd, 2) + "</td>";
            }
        }
        if (vcdr)
            for (const auto& [name, list] : runs) {
                const DomainResult* dr = domainIn(*list, dom.name);
                h += "<td>" + fmt(dr ? dr->vcdrMae : NAN, 3) + "</td>";
            }
        h += "</tr>\n";
    }
    h += "</table>\n";

    // Bar chart: mean Dice per domain and region (A, and B beside it).
    const int barW = 18, gap = 10, chartH = 200, top = 20;
    const int groups = int(data.domainsA.size()), perGroup = int(data.regions.size() * runs.size());
    const int width = 60 + groups * (perGroup * barW + gap * 2) + 160;
    h += "<h2>Mean Dice per domain</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + QString::number(width) +
         "\" height=\"" + QString::number(chartH + 60) + "\" font-size=\"11\">\n";
    h += QString("<line x1=\"50\" y1=\"%1\" x2=\"%2\" y2=\"%1\" stroke=\"#444\"/>\n").arg(top + chartH).arg(width - 150);
    for (int t = 0; t <= 4; ++t) {
        const int y = top + chartH - t * chartH / 4;
        h += QString(
                 "<text x=\"44\" y=\"%1\" text-anchor=\"end\">%2</text><line x1=\"50\" y1=\"%1\" x2=\"%3\" y2=\"%1\" "
                 "stroke=\"#ddd\"/>\n")
                 .arg(y)
                 .arg(t * 0.25, 0, 'f', 2)
                 .arg(width - 150);
    }
    const char* palette[] = {"#2b8cbe", "#7bccc4", "#e34a33", "#fdbb84", "#756bb1", "#bcbddc"};
    int x = 60;
    for (const auto& dom : data.domainsA) {
        const int x0 = x;
        int k = 0;
        for (const auto& [name, list] : runs) {
            const DomainResult* dr = domainIn(*list, dom.name);
            for (const auto& reg : data.regions) {
                const double v = dr && dr->dice.count(reg) && std::isfinite(dr->dice.at(reg)) ? dr->dice.at(reg) : 0.0;
                const int bh = int(std::lround(v * chartH));
                h +=
                    QString("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"><title>%6 %7 %8: %9</title></rect>\n")
                        .arg(x)
                        .arg(top + chartH - bh)
                        .arg(barW - 2)
                        .arg(bh)
                        .arg(palette[k % 6])
                        .arg(esc(dom.name), esc(name), esc(reg))
                        .arg(v, 0, 'f', 3);
                x += barW;
                ++k;
            }
        }
        h += QString("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>\n")
                 .arg((x0 + x) / 2)
                 .arg(top + chartH + 16)
                 .arg(esc(dom.name));
        x += gap * 2;
    }
    int k = 0, ly = top;
    for (const auto& [name, _] : runs)
        for (const auto& reg : data.regions) {
            h += QString("<rect x=\"%1\" y=\"%2\" width=\"12\" height=\"12\" fill=\"%3\"/><text x=\"%4\" y=\"%5\">%6</text>\n")
                     .arg(width - 140)
                     .arg(ly)
                     .arg(palette[k % 6])
                     .arg(width - 124)
                     .arg(ly + 10)
                     .arg(esc(reg) + (data.hasB() ? " " + esc(name) : QString()));
            ly += 18;
            ++k;
        }
    h += "</svg>\n";

    // Worst cases: image, reference, prediction(s), error map.
    h +=
        "<h2>Worst " + QString::number(std::min<int>(worstN, int(data.cases.size()))) + " cases (" + esc(data.nameA) + ")</h2>\n";
    h += "<p class=\"cap\">Image, reference, prediction " + esc(data.nameA) +
         (data.hasB() ? ", prediction " + esc(data.nameB) : "") +
         ", error map (red: false positive, blue: false negative).</p>\n";
    for (int i = 0; i < worstN && i < int(data.cases.size()); ++i) {
        const ReviewCase& c = data.cases[std::size_t(i)];
        QString flag, note;
        if (project) {
            auto it = project->annotations.find(c.key());
            if (it != project->annotations.end()) {
                flag = esc(it->second.flag);
                note = esc(it->second.note);
            }
        }
        h += "<div class=\"strip\"><b>" + esc(c.domain) + " / " + esc(c.caseId) + "</b> mean Dice " + fmt(c.meanDiceA(), 3);
        if (data.hasB()) h += " (" + esc(data.nameB) + " " + fmt(c.meanDiceB(), 3) + ")";
        if (!flag.isEmpty() || !note.isEmpty()) h += " &mdash; <i>" + flag + (note.isEmpty() ? "" : ": " + note) + "</i>";
        h += "<br>";
        try {
            const Image img = readImage(c.image);
            LabelMap ref = c.mask.empty() ? LabelMap(img.geometry()) : readCaseMask(Case{c.caseId, c.image, c.mask});
            h += "<img alt=\"image\" src=\"" + dataUri(renderOverlay(img, nullptr, data.task)) + "\">";
            h += "<img alt=\"reference\" src=\"" + dataUri(renderOverlay(img, &ref, data.task)) + "\">";
            LabelMap predA;
            if (!c.predictionA.empty()) {
                predA = readLabelMap(c.predictionA);
                h += "<img alt=\"prediction A\" src=\"" + dataUri(renderOverlay(img, &predA, data.task)) + "\">";
            }
            if (!c.predictionB.empty()) {
                LabelMap predB = readLabelMap(c.predictionB);
                h += "<img alt=\"prediction B\" src=\"" + dataUri(renderOverlay(img, &predB, data.task)) + "\">";
            }
            if (!predA.empty()) {
                const LabelMap err = errorMap(predA, ref);
                h += "<img alt=\"error map\" src=\"" + dataUri(renderOverlay(img, &err, data.task, true)) + "\">";
            }
        } catch (const std::exception& e) {
            h += "<span class=\"cap\">images unavailable: " + QString::fromUtf8(e.what()).toHtmlEscaped() + "</span>";
        }
        h += "</div>\n";
    }
    h += "</body></html>\n";
    return h;
}

static bool writeText(const QString& file, const QByteArray& bytes, QString* error) {
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit()) {
        if (error) *error = QObject::tr("Cannot write %1: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

bool writeReviewReport(const QString& file, const ReviewData& data, const Project* project, int worstN, QString* error) {
    return writeText(file, reviewReportHtml(data, project, worstN).toUtf8(), error);
}

bool writeReviewCsv(const QString& file, const ReviewData& data, const Project* project, QString* error) {
    return writeText(file, QByteArray::fromStdString(reviewCsv(data, project)), error);
}

}  // namespace dacw
