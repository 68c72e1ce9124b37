"""Angles and distances between landmarks, with their conventions written down.

Conventions (all angles in degrees):
- ``interior_angle_deg(a, b, c)``: the angle at ``b`` between the segments b->a and b->c, 0..180.
  A straight knee (hip, knee, ankle in line) is 180.
- ``flexion_deg(a, b, c)``: ``180 - interior``; 0 is a straight joint, 90 a right angle. This is the
  number a clinician reads off a goniometer for the knee and hip.
- ``incline_from_vertical_deg(lower, upper)``: the angle of the segment lower->upper against
  "straight up", 0..180, whichever way the person faces (0 upright, 90 horizontal, 180 upside
  down). In image coordinates "up" is -y; in MediaPipe world coordinates it is also -y.
- Inputs are 2D (image pixels) or 3D (world metres) points; any NaN in, NaN out.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Point = npt.NDArray[np.float64]


def interior_angle_deg(a: Point, b: Point, c: Point) -> float:
    """Angle at ``b`` in the triangle a-b-c, 0..180; NaN if a segment has zero length or NaN."""
    u = a - b
    v = c - b
    nu = math.sqrt(float(np.dot(u, u)))
    nv = math.sqrt(float(np.dot(v, v)))
    if not (nu > 0 and nv > 0):  # also false for NaN
        return math.nan
    cos = float(np.dot(u, v)) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def flexion_deg(a: Point, b: Point, c: Point) -> float:
    """Joint flexion at ``b``: 0 when a-b-c is a straight line, growing as the joint bends."""
    return 180.0 - interior_angle_deg(a, b, c)


def incline_from_vertical_deg(lower: Point, upper: Point) -> float:
    """Angle of the segment ``lower -> upper`` against straight up (-y), 0..180."""
    d = upper - lower
    n = math.sqrt(float(np.dot(d, d)))
    if not n > 0:
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, float(-d[1]) / n))))


def angle_between_deg(u: Point, v: Point) -> float:
    """Unsigned angle between two direction vectors, 0..180."""
    nu = math.sqrt(float(np.dot(u, u)))
    nv = math.sqrt(float(np.dot(v, v)))
    if not (nu > 0 and nv > 0):
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)) / (nu * nv)))))


def line_angle_deg(u: Point, v: Point) -> float:
    """Angle between two undirected lines, 0..90 (a line and its reverse are the same line)."""
    a = angle_between_deg(u, v)
    return min(a, 180.0 - a) if not math.isnan(a) else math.nan


def distance(a: Point, b: Point) -> float:
    """Straight-line distance between two points (2D or 3D); NaN when either is."""
    d = a - b
    return math.sqrt(float(np.dot(d, d)))


def midpoint(a: Point, b: Point) -> Point:
    """The point halfway between ``a`` and ``b``."""
    return (a + b) / 2.0
