#pragma once
// The review's exports: overlays drawn into QImages (no VTK: they go into files), and a
// self-contained HTML report — per-domain table, an inline SVG bar chart, the worst cases as
// image strips embedded as data URIs — that opens in any browser without the program.
#include <QImage>
#include <QString>

#include "core/review/ReviewData.h"

namespace dacw {

/// The image (one slice: the middle one of a volume) with a label map blended over it.
/// `colors` by label value; `nullptr` labels draws the image alone.
QImage renderOverlay(const Image& image, const LabelMap* labels, const Task& task, bool errorColors = false, int maxSide = 160);

QString reviewReportHtml(const ReviewData& data, const Project* project, int worstN = 5);
/// Writes the report; false with the reason in `error`.
bool writeReviewReport(const QString& file, const ReviewData& data, const Project* project, int worstN, QString* error);
bool writeReviewCsv(const QString& file, const ReviewData& data, const Project* project, QString* error);

}  // namespace dacw
