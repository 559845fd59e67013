// Hand-drawn regions from the tools people draw them in, as a label image:
//  * ImageJ/Fiji ROI files: one .roi or a RoiSet .zip (ROI Manager > More > Save), polygon,
//    rectangle, oval, freehand and traced ROIs; ROI k of the set (in the zip's order) is label k.
//  * Mask images (a Gwyddion mask exported as PNG, or any 8/16-bit image): nonzero pixels are the
//    region, one file per label.
// Pixel rule (ImageJ's masks): a pixel belongs to a shape when its centre (x + 0.5, y + 0.5),
// in ImageJ's pixel-corner coordinates, lies inside it (even-odd for polygons). OpenCV's
// fillPoly/ellipse also fill the pixels the outline touches (half a pixel wider all round),
// so the small scanline filler below is used instead to give the same pixels as Fiji.
// Errors are DataError naming the file (and the zip entry).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct ImageJRoi {
    enum class Shape { Polygon, Rectangle, Oval };
    std::string name;   // the zip entry or file name without ".roi"
    Shape shape = Shape::Polygon;
    int left = 0, top = 0, right = 0, bottom = 0;  // bounds, pixel corners (right/bottom exclusive)
    std::vector<double> x, y;                       // polygon vertices, pixel-corner coordinates
};

// Decodes one .roi file's bytes (ImageJ's RoiDecoder format, big-endian, "Iout" magic).
// `what` names the source in errors. Lines, points, angles and composite (shape) ROIs are
// rejected: they enclose no area or need the full java.awt.geom machinery.
ImageJRoi decode_imagej_roi(const std::vector<std::uint8_t>& bytes, const std::string& what);

// A .roi file or a RoiSet .zip of .roi files (decided by the content, not the extension).
std::vector<ImageJRoi> read_imagej_rois(const std::string& path);

// Sets the pixels of `roi` inside `labels` to `label` (pixels outside the map are ignored).
void rasterise_roi(const ImageJRoi& roi, Image<std::uint16_t>& labels, std::uint16_t label);

// Label image of nx x ny from a ROI file or set: ROI k is label k. Overlapping ROIs: the later
// one wins, as ImageJ's "ROI Manager > Fill" paints them.
Image<std::uint16_t> labels_from_rois(const std::string& path, int nx, int ny, std::vector<std::string>* names = nullptr);

// Label image from mask images {label: file}: nonzero pixels get the label. The masks must have
// the map's size and must not overlap (a pixel in two masks is ambiguous).
Image<std::uint16_t> labels_from_masks(const std::map<int, std::string>& masks, int nx, int ny);

// The label image of a regions config's rois_file or mask_files (empty image when it has
// neither), and the files it was read from (for the run's input record).
Image<std::uint16_t> hand_drawn_labels(const RegionsConfig& regions, int nx, int ny);
std::vector<std::string> hand_drawn_files(const RegionsConfig& regions);

}  // namespace amfm
