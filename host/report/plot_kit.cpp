// The drawing kit's figures and their three writers (see plot_kit.hpp): cairo for PNG and PDF,
// an SVG writer of its own so that text stays text (cairo's SVG turns glyphs into paths).
#include "host/report/plot_kit.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>
#include <pango/pangocairo.h>
#include <png.h>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"
#include "host/model/text.hpp"

namespace amfm::plot {
namespace {

// ---- text through pango --------------------------------------------------------------------

// Unhinted metrics, so a line measures the same at every resolution and in every format.
void set_unhinted(PangoContext* ctx) {
    cairo_font_options_t* fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
}

void set_font(PangoLayout* layout, const std::string& s, double size_pt, bool bold) {
    PangoFontDescription* fd = pango_font_description_from_string(kFontFamily);
    pango_font_description_set_absolute_size(fd, size_pt * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, s.c_str(), (int)s.size());
}

TextExtent layout_extent(PangoLayout* layout) {
    PangoRectangle logical;
    pango_layout_get_extents(layout, nullptr, &logical);
    const double baseline = (double)pango_layout_get_baseline(layout) / PANGO_SCALE;
    return {(double)logical.width / PANGO_SCALE, baseline, (double)logical.height / PANGO_SCALE - baseline};
}

// ---- cairo: PNG and PDF ---------------------------------------------------------------------

void set_colour(cairo_t* cr, const Rgb& c, double alpha = 1.0) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

void set_stroke(cairo_t* cr, const Stroke& s) {
    set_colour(cr, s.colour);
    cairo_set_line_width(cr, s.width_pt);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    const double dash = s.dash_pt;
    cairo_set_dash(cr, &dash, dash > 0.0 ? 1 : 0, 0.0);
}

void paint_path(cairo_t* cr, const Figure::PathOp& p) {
    if (p.pts.size() < 2) return;
    cairo_new_path(cr);
    cairo_move_to(cr, p.pts[0].x, p.pts[0].y);
    for (std::size_t i = 1; i < p.pts.size(); ++i) cairo_line_to(cr, p.pts[i].x, p.pts[i].y);
    if (p.closed) cairo_close_path(cr);
    if (p.fill) {
        set_colour(cr, *p.fill, p.fill_alpha);
        p.stroke ? cairo_fill_preserve(cr) : cairo_fill(cr);
    }
    if (p.stroke) {
        set_stroke(cr, *p.stroke);
        cairo_stroke(cr);
    }
}

void paint_text(cairo_t* cr, const Figure::TextOp& t) {
    PangoLayout* layout = pango_cairo_create_layout(cr);
    set_unhinted(pango_layout_get_context(layout));
    pango_layout_context_changed(layout);
    set_font(layout, t.s, t.style.size_pt, t.style.bold);
    const TextExtent e = layout_extent(layout);
    const double shift = t.style.align == Align::Center ? e.width / 2 : t.style.align == Align::Right ? e.width : 0.0;
    cairo_save(cr);
    cairo_translate(cr, t.at.x, t.at.y);
    if (t.style.vertical) cairo_rotate(cr, -M_PI / 2);
    cairo_move_to(cr, -shift, -e.ascent);
    if (t.style.halo) {
        pango_cairo_layout_path(cr, layout);
        set_colour(cr, kWhite);
        cairo_set_line_width(cr, t.style.size_pt * 0.3);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
        cairo_move_to(cr, -shift, -e.ascent);
    }
    set_colour(cr, t.style.colour);
    pango_cairo_show_layout(cr, layout);
    cairo_restore(cr);
    g_object_unref(layout);
}

cairo_surface_t* raster_surface(const Raster& r) {
    cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, r.nx, r.ny);
    cairo_surface_flush(s);
    unsigned char* data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < r.ny; ++y) {
        auto* row = reinterpret_cast<std::uint32_t*>(data + (std::size_t)y * stride);
        for (int x = 0; x < r.nx; ++x) row[x] = r.rgb[(std::size_t)y * r.nx + x];  // native-endian xRGB
    }
    cairo_surface_mark_dirty(s);
    return s;
}

void paint_image(cairo_t* cr, const Figure::ImageOp& im) {
    const Raster& r = *im.raster;
    if (r.nx < 1 || r.ny < 1) return;
    cairo_surface_t* s = raster_surface(r);
    cairo_save(cr);
    cairo_translate(cr, im.where.x, im.where.y);
    cairo_scale(cr, im.where.w / r.nx, im.where.h / r.ny);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, r.nx, r.ny);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(s);
}

void paint(cairo_t* cr, const Figure& fig) {
    set_colour(cr, kWhite);
    cairo_paint(cr);
    for (const Figure::Op& op : fig.ops()) {
        if (const auto* p = std::get_if<Figure::PathOp>(&op)) paint_path(cr, *p);
        else if (const auto* t = std::get_if<Figure::TextOp>(&op)) paint_text(cr, *t);
        else if (const auto* im = std::get_if<Figure::ImageOp>(&op)) paint_image(cr, *im);
        else if (const auto* c = std::get_if<Figure::CircleOp>(&op)) {
            cairo_new_path(cr);
            cairo_arc(cr, c->c.x, c->c.y, c->r, 0, 2 * M_PI);
            set_colour(cr, c->fill);
            cairo_fill(cr);
        } else if (const auto* k = std::get_if<Figure::ClipOp>(&op)) {
            cairo_reset_clip(cr);
            if (k->r) {
                cairo_rectangle(cr, k->r->x, k->r->y, k->r->w, k->r->h);
                cairo_clip(cr);
            }
        }
    }
}

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

void append_png_bytes(png_structp png, png_bytep data, png_size_t n) {
    static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}

// An RGB24 surface as PNG through libpng at deflate's fastest level: cairo's own PNG writer
// (level 6, every filter tried) was most of the cost of a large map's figures; this is several
// times faster for files ~10-20 % larger.
std::string png_of(cairo_surface_t* s) {
    cairo_surface_flush(s);
    const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char* data = cairo_image_surface_get_data(s);
    std::string bytes;
    std::vector<png_byte> row((std::size_t)w * 3);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info || !data || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw DataError("cannot encode a figure as PNG");
    }
    png_set_write_fn(png, &bytes, append_png_bytes, nullptr);
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < h; ++y) {
        const auto* px = reinterpret_cast<const std::uint32_t*>(data + (std::size_t)y * stride);
        for (int x = 0; x < w; ++x) {  // native-endian xRGB
            row[3 * x] = (png_byte)(px[x] >> 16);
            row[3 * x + 1] = (png_byte)(px[x] >> 8);
            row[3 * x + 2] = (png_byte)px[x];
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return bytes;
}

std::string render_cairo(const Figure& fig, FigureFormat format, double dpi) {
    std::string bytes;
    cairo_surface_t* s = nullptr;
    if (format == FigureFormat::Png) {
        s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, png_pixels(fig.width(), dpi), png_pixels(fig.height(), dpi));
    } else {
        s = cairo_pdf_surface_create_for_stream(append_bytes, &bytes, fig.width(), fig.height());
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "amfm");
        // No creation date (an empty one is left out): the same figure gives the same bytes, so a
        // merged series equals a single run and reruns are recognised as unchanged.
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "");
    }
    cairo_t* cr = cairo_create(s);
    if (format == FigureFormat::Png) cairo_scale(cr, dpi / 72.0, dpi / 72.0);
    paint(cr, fig);
    const cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (format == FigureFormat::Png && status == CAIRO_STATUS_SUCCESS) bytes = png_of(s);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    if (status != CAIRO_STATUS_SUCCESS) throw DataError(std::string("cannot draw a figure: ") + cairo_status_to_string(status));
    return bytes;
}

// ---- SVG -------------------------------------------------------------------------------------

std::string svg_colour(const Rgb& c) {
    return fmt::format("#{:02x}{:02x}{:02x}", (int)std::lround(c.r * 255), (int)std::lround(c.g * 255),
                       (int)std::lround(c.b * 255));
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '"') out += "&quot;";
        else out += c;
    }
    return out;
}

std::string svg_path(const Figure::PathOp& p) {
    std::string d;
    for (std::size_t i = 0; i < p.pts.size(); ++i) d += fmt::format("{}{:.2f} {:.2f}", i ? " L" : "M", p.pts[i].x, p.pts[i].y);
    if (p.closed) d += " Z";
    std::string attrs = p.fill ? fmt::format(" fill=\"{}\"", svg_colour(*p.fill)) : " fill=\"none\"";
    if (p.fill && p.fill_alpha < 1.0) attrs += fmt::format(" fill-opacity=\"{:.3f}\"", p.fill_alpha);
    if (p.stroke) {
        attrs += fmt::format(" stroke=\"{}\" stroke-width=\"{:.2f}\" stroke-linejoin=\"round\"",
                             svg_colour(p.stroke->colour), p.stroke->width_pt);
        if (p.stroke->dash_pt > 0.0) attrs += fmt::format(" stroke-dasharray=\"{:.2f}\"", p.stroke->dash_pt);
    }
    return fmt::format("<path d=\"{}\"{}/>\n", d, attrs);
}

std::string svg_text(const Figure::TextOp& t) {
    const char* anchor = t.style.align == Align::Center ? "middle" : t.style.align == Align::Right ? "end" : "start";
    std::string attrs = fmt::format(" font-family=\"{}\" font-size=\"{:.2f}\" text-anchor=\"{}\" fill=\"{}\"",
                                    kFontFamily, t.style.size_pt, anchor, svg_colour(t.style.colour));
    if (t.style.bold) attrs += " font-weight=\"bold\"";
    if (t.style.vertical) attrs += fmt::format(" transform=\"rotate(-90 {:.2f} {:.2f})\"", t.at.x, t.at.y);
    if (t.style.halo)
        attrs += fmt::format(" stroke=\"#ffffff\" stroke-width=\"{:.2f}\" paint-order=\"stroke\"", t.style.size_pt * 0.3);
    return fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\"{}>{}</text>\n", t.at.x, t.at.y, attrs, xml_escape(t.s));
}

std::string svg_image(const Figure::ImageOp& im) {
    cairo_surface_t* s = raster_surface(*im.raster);
    const std::string png = png_of(s);
    cairo_surface_destroy(s);
    return fmt::format("<image x=\"{:.3f}\" y=\"{:.3f}\" width=\"{:.3f}\" height=\"{:.3f}\" preserveAspectRatio=\"none\" "
                       "style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>\n",
                       im.where.x, im.where.y, im.where.w, im.where.h, base64(png));
}

std::string render_svg(const Figure& fig) {
    std::string out = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
        "width=\"{0:.2f}pt\" height=\"{1:.2f}pt\" viewBox=\"0 0 {0:.2f} {1:.2f}\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n<g>\n",
        fig.width(), fig.height());
    int clips = 0;
    for (const Figure::Op& op : fig.ops()) {
        if (const auto* p = std::get_if<Figure::PathOp>(&op)) out += p->pts.size() >= 2 ? svg_path(*p) : "";
        else if (const auto* t = std::get_if<Figure::TextOp>(&op)) out += svg_text(*t);
        else if (const auto* im = std::get_if<Figure::ImageOp>(&op)) out += svg_image(*im);
        else if (const auto* c = std::get_if<Figure::CircleOp>(&op))
            out += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{:.2f}\" fill=\"{}\"/>\n", c->c.x, c->c.y, c->r,
                               svg_colour(c->fill));
        else if (const auto* k = std::get_if<Figure::ClipOp>(&op)) {
            out += "</g>\n";
            if (!k->r) {
                out += "<g>\n";
                continue;
            }
            out += fmt::format("<clipPath id=\"c{0}\"><rect x=\"{1:.2f}\" y=\"{2:.2f}\" width=\"{3:.2f}\" "
                               "height=\"{4:.2f}\"/></clipPath>\n<g clip-path=\"url(#c{0})\">\n",
                               clips++, k->r->x, k->r->y, k->r->w, k->r->h);
        }
    }
    return out + "</g>\n</svg>\n";
}

}  // namespace

TextExtent measure_text(const std::string& text, double size_pt, bool bold) {
    thread_local PangoContext* ctx = [] {
        PangoContext* c = pango_font_map_create_context(pango_cairo_font_map_get_default());
        set_unhinted(c);
        return c;
    }();
    PangoLayout* layout = pango_layout_new(ctx);
    set_font(layout, utf8_text(text), size_pt, bold);
    const TextExtent e = layout_extent(layout);
    g_object_unref(layout);
    return e;
}

std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned v = (unsigned char)in[i] << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

int png_pixels(double points, double dpi) { return std::max(1, (int)std::lround(points * dpi / 72.0)); }

Figure::Figure(double width_pt, double height_pt) : width_(width_pt), height_(height_pt) {}

void Figure::path(std::vector<Point> pts, bool closed, std::optional<Rgb> fill, std::optional<Stroke> stroke,
                  double fill_alpha) {
    ops_.emplace_back(PathOp{std::move(pts), closed, fill, stroke, fill_alpha});
}

void Figure::curve(const std::vector<Point>& pts, const Stroke& s) {
    std::vector<Point> run;
    for (const Point& p : pts) {
        if (std::isfinite(p.x) && std::isfinite(p.y)) {
            run.push_back(p);
            continue;
        }
        if (run.size() >= 2) path(run, false, std::nullopt, s);
        run.clear();
    }
    if (run.size() >= 2) path(run, false, std::nullopt, s);
}

void Figure::rect(const Rect& r, std::optional<Rgb> fill, std::optional<Stroke> stroke, double fill_alpha) {
    path({{r.x, r.y}, {r.right(), r.y}, {r.right(), r.bottom()}, {r.x, r.bottom()}}, true, fill, stroke, fill_alpha);
}

void Figure::circle(Point centre, double radius_pt, const Rgb& fill) { ops_.emplace_back(CircleOp{centre, radius_pt, fill}); }

void Figure::text(const std::string& s, Point at, const TextStyle& style) {
    // Names from files and YAML may be Latin-1; pango draws (and cairo measures) UTF-8 only.
    if (!s.empty()) ops_.emplace_back(TextOp{utf8_text(s), at, style});
}

void Figure::image(std::shared_ptr<const Raster> raster, const Rect& where) {
    ops_.emplace_back(ImageOp{std::move(raster), where});
}

void Figure::clip(const Rect& r) { ops_.emplace_back(ClipOp{r}); }
void Figure::unclip() { ops_.emplace_back(ClipOp{std::nullopt}); }

std::string Figure::render(FigureFormat format, double dpi) const {
    return format == FigureFormat::Svg ? render_svg(*this) : render_cairo(*this, format, dpi);
}

void Figure::save(const std::string& stem, const FigureOptions& options) const {
    for (FigureFormat f : options.formats) {
        const std::string path = stem + "." + kFigureFormatNames[(int)f];
        std::string bytes;
        try {
            bytes = render(f, options.dpi);
        } catch (const DataError& e) {
            throw DataError("cannot write figure " + path + ": " + e.what());
        }
        try {
            write_file_atomic(path, bytes);
        } catch (const std::exception& e) {
            throw DataError("cannot write figure " + path + ": " + e.what());
        }
    }
}

}  // namespace amfm::plot
