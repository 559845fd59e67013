#!/usr/bin/python3
"""The method of `amfm process` in plain NumPy/SciPy, as a script a user would write: the yardstick
of bench/speed.py (issue 18). Reads a scan YAML as `amfm simulate` writes it (channel TIFFs, label
image, cantilever, Kc polynomial), computes slope, tilt, Kc, the corrected modulus, the mask and the
indentation depth, then per region and for the whole map mean, SD, quantiles, a Freedman-Diaconis
histogram and a Gaussian fit, and writes the maps (TIFF and Gwyddion Simple Field) and regions.csv.

    /usr/bin/python3 bench/numpy_reference.py SCAN.yaml OUT_DIR

Same work as amfm, not the same bytes: it exists to be timed.
"""
import os
import struct
import sys

import numpy as np
import tifffile
import yaml
from scipy.optimize import curve_fit


def gaussian(x, amplitude, center, sigma, offset):
    return offset + amplitude * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def describe(values, log_axis=False):
    """Mean, SD, quantiles, histogram and Gaussian fit of one set of valid moduli (GPa)."""
    row = {"n_valid": values.size}
    if values.size < 30:
        return row
    p = np.percentile(values, [0.5, 5, 25, 50, 75, 95, 99.5])
    row.update(mean_gpa=values.mean(), sd_gpa=values.std(ddof=1), p05_gpa=p[1], median_gpa=p[3], p95_gpa=p[5])
    axis = np.log10(values[values > 0]) if log_axis else values
    lo, hi = (np.log10(p[0]), np.log10(p[6])) if log_axis else (p[0], p[6])
    iqr = (np.log10(p[4]) - np.log10(p[2])) if log_axis else p[4] - p[2]
    width = 2.0 * iqr / np.cbrt(values.size)
    bins = int(np.clip(np.ceil((hi - lo) / width) if width > 0 else 20, 10, 256))
    counts, edges = np.histogram(axis, bins=bins, range=(lo, hi))
    centres = 0.5 * (edges[1:] + edges[:-1])
    try:
        popt, _ = curve_fit(gaussian, centres, counts, p0=[counts.max(), centres[np.argmax(counts)],
                                                           (hi - lo) / 6, 0.0], maxfev=200)
        row.update(center_gpa=popt[1], sigma_gpa=abs(popt[2]))
    except RuntimeError:
        pass
    return row


def write_gsf(path, data, title, unit, xreal, yreal):
    header = ("Gwyddion Simple Field 1.0\nXRes = %d\nYRes = %d\nXReal = %g\nYReal = %g\nXYUnits = m\n"
              "ZUnits = %s\nTitle = %s\n" % (data.shape[1], data.shape[0], xreal, yreal, unit, title)).encode()
    header += b"\0" * (4 - len(header) % 4)
    with open(path, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(data, dtype="<f4").tobytes())


def main(scan_yaml, out_dir):
    base = os.path.dirname(os.path.abspath(scan_yaml))
    with open(scan_yaml) as f:
        cfg = yaml.safe_load(f)
    # PyYAML reads YAML 1.1, where "1.71e6" is a string: the numbers of these sections as floats.
    for section in ("cantilever", "tip", "scan_size"):
        cfg[section] = {k: float(v) for k, v in cfg[section].items()}
    tc = cfg["tilt_correction"]
    tc["coefficients"] = [float(v) for v in tc["coefficients"]]
    tc["max_angle_deg"] = float(tc["max_angle_deg"])
    ch = cfg["channels"]
    height = tifffile.imread(os.path.join(base, ch["height"]["file"])).astype(np.float64)
    phase1 = tifffile.imread(os.path.join(base, ch["phase1"]["file"])).astype(np.float64)
    df2 = tifffile.imread(os.path.join(base, ch["df2"]["file"])).astype(np.float64)
    labels = tifffile.imread(os.path.join(base, cfg["regions"]["labels"]))
    ny, nx = height.shape
    dx, dy = cfg["scan_size"]["x"] / nx, cfg["scan_size"]["y"] / ny

    # Slope by central differences, tilt, Kc polynomial, modulus, indentation.
    gy, gx = np.gradient(height, dy, dx)
    tilt_deg = np.degrees(np.arctan(np.hypot(gx, gy)))
    kc = np.polynomial.polynomial.polyval(tilt_deg, tc["coefficients"])
    c = cfg["cantilever"]
    k2 = c["k1"] * (c["f2"] / c["f1"]) ** 2
    cos_phi = np.cos(np.radians(phase1))
    first = c["k1"] / c["q1"] * c["a1_free"] / c["a1_set"] * cos_phi
    second = 2.0 * k2 / c["f2"] * df2
    with np.errstate(invalid="ignore", divide="ignore"):
        e_pa = np.pi / cfg["tip"]["radius"] * np.sqrt(1.0 / 6.0) * second * np.sqrt(second / first)
        modulus_gpa = e_pa / kc * 1e-9
        indentation_nm = 1.5 * 0.5 * c["k1"] / c["q1"] * c["a1_free"] * cos_phi / second * 1e9
    mask = ((tilt_deg > tc["max_angle_deg"]) * 1 + (cos_phi <= 0) * 2 + (df2 <= 0) * 4 +
            (~np.isfinite(height + phase1 + df2)) * 8 + (labels == 0) * 16).astype(np.uint8)
    invalid = (mask & 15) != 0
    modulus_gpa[invalid] = np.nan
    indentation_nm[invalid] = np.nan

    # Statistics per region and for the whole map (log axis: it mixes decades).
    rows = []
    valid = ~invalid
    for label in np.unique(labels[labels > 0]):
        rows.append(dict(label=int(label), **describe(modulus_gpa[valid & (labels == label)])))
    rows.append(dict(label=0, **describe(modulus_gpa[valid], log_axis=True)))

    os.makedirs(out_dir, exist_ok=True)
    tifffile.imwrite(os.path.join(out_dir, "modulus_gpa.tif"), modulus_gpa.astype(np.float32))
    tifffile.imwrite(os.path.join(out_dir, "indentation_nm.tif"), indentation_nm.astype(np.float32))
    tifffile.imwrite(os.path.join(out_dir, "tilt_deg.tif"), tilt_deg.astype(np.float32))
    tifffile.imwrite(os.path.join(out_dir, "mask.tif"), mask)
    xreal, yreal = cfg["scan_size"]["x"], cfg["scan_size"]["y"]
    write_gsf(os.path.join(out_dir, "modulus_gpa.gsf"), modulus_gpa * 1e9, "Modulus", "Pa", xreal, yreal)
    write_gsf(os.path.join(out_dir, "tilt_deg.gsf"), tilt_deg, "Tilt", "deg", xreal, yreal)
    write_gsf(os.path.join(out_dir, "mask.gsf"), mask, "Mask", "", xreal, yreal)
    keys = ["label", "n_valid", "mean_gpa", "sd_gpa", "median_gpa", "p05_gpa", "p95_gpa", "center_gpa", "sigma_gpa"]
    with open(os.path.join(out_dir, "regions.csv"), "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(str(r.get(k, "")) for k in keys) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
