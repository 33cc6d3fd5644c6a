#pragma once
// Internal to viewers/SliceViewPipeline.cpp: the VTK objects behind one image layer (an image,
// label, prediction or heat-map slice) and behind one polyline overlay (brush cursor, tool
// outline, crosshair lines).
#include <array>
#include <vector>

#include <vtkActor.h>
#include <vtkCellArray.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkImageSlice.h>
#include <vtkImageSliceMapper.h>
#include <vtkLookupTable.h>
#include <vtkNew.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>

namespace dacw::detail {

struct Layer {
    vtkNew<vtkImageData> data;
    vtkNew<vtkImageSliceMapper> mapper;
    vtkNew<vtkImageSlice> slice;
    vtkNew<vtkLookupTable> lut;

    void init(int layerNumber) {
        mapper->SetInputData(data);
        mapper->SetOrientationToZ();
        mapper->SetSliceNumber(0);
        mapper->SliceAtFocalPointOff();
        mapper->SliceFacesCameraOff();
        mapper->BorderOn();  // show whole pixels up to the image edge
        slice->SetMapper(mapper);
        slice->GetProperty()->SetInterpolationTypeToNearest();
        slice->GetProperty()->SetLayerNumber(layerNumber);
        slice->VisibilityOff();
        slice->PickableOff();
    }
    void useLookupTable() {
        lut->SetNumberOfTableValues(256);
        lut->SetTableRange(0.0, 255.0);
        lut->SetRampToLinear();
        lut->Build();
        slice->GetProperty()->SetLookupTable(lut);
        slice->GetProperty()->UseLookupTableScalarRangeOn();
    }
};

struct Outline {
    vtkNew<vtkPolyData> poly;
    vtkNew<vtkPolyDataMapper> mapper;
    vtkNew<vtkActor> actor;

    void init(double r, double g, double b) {
        mapper->SetInputData(poly);
        actor->SetMapper(mapper);
        actor->GetProperty()->SetColor(r, g, b);
        actor->GetProperty()->SetLineWidth(1.0);
        actor->GetProperty()->LightingOff();
        actor->VisibilityOff();
        actor->PickableOff();
    }
    void set(const std::vector<std::array<double, 2>>& pts, bool closed) {
        vtkNew<vtkPoints> points;
        vtkNew<vtkCellArray> lines;
        if (pts.size() >= 2) {
            const vtkIdType n = static_cast<vtkIdType>(pts.size());
            for (const auto& p : pts) points->InsertNextPoint(p[0], p[1], 0.0);
            lines->InsertNextCell(closed ? n + 1 : n);
            for (vtkIdType i = 0; i < n; ++i) lines->InsertCellPoint(i);
            if (closed) lines->InsertCellPoint(0);
        }
        poly->SetPoints(points);
        poly->SetLines(lines);
        poly->Modified();
        actor->SetVisibility(pts.size() >= 2);
    }
};

}  // namespace dacw::detail
