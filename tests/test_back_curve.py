"""The back's outline from a person mask (signals/back_curve.py) and the landmark extras it feeds.

The masks are drawn with numpy in the trunk's own frame: ``s`` along the trunk from the shoulder
midpoint S to the hip midpoint H (length L), ``r`` outward toward the back. The back outline is
``r = BACK_PX + hump * 4 s (L - s) / L**2`` (a parabola, ``hump`` px high at mid-trunk) and the
front ``r = -FRONT_PX``. Pixels are 4x4 supersampled so the edges sit where they are drawn.

Hand-computed answers: the outline is looked for at 20 levels s = (k + 0.5) / 20 * L. The chord
joins the first (s = L/40) and last (s = 39L/40) levels, where the parabola is 0.0975 * hump; the
middle levels (s = 0.475L, 0.525L) are at 0.9975 * hump. So the largest distance from the chord is
0.9 * hump and the chord is 0.95 * L long: bow = 0.9 / 0.95 * hump / L. A least-squares line over
each half of a parabola has the parabola's slope at the half's middle (s = L/4: 2 hump / L), so
bend = 2 * atan(2 * hump / L).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.landmarks import INDEX, LANDMARK_NAMES, NUM_LANDMARKS, LandmarkSeries, PoseFrame
from formcheck.signals.back_curve import (
    EXTRA_NAMES,
    FacingVote,
    facing_evidence,
    measure_back_curve,
)

W, H = 640, 480
BACK_PX = 30.0
FRONT_PX = 45.0
TRUNK_PX = 200.0
SUPERSAMPLE = 4


def trunk_scene(
    facing: int,
    incline_deg: float,
    hump_px: float = 0.0,
    belly_px: float = 0.0,
    centre: tuple[float, float] = (320.0, 240.0),
    trunk_px: float = TRUNK_PX,
) -> tuple[np.ndarray, np.ndarray]:
    """A side-on trunk's mask and landmarks.

    Args:
        facing: +1 the person faces right on screen, -1 left.
        incline_deg: Trunk from vertical, leaning forward (the way the person faces).
        hump_px: Height of the back's parabolic hump (negative: a hollow back).
        belly_px: Height of the same parabola on the front (must not be read as the back).
        centre: Image point halfway between shoulder and hip.
        trunk_px: Shoulder-to-hip length.
    """
    # The shoulder is above and ahead of the hip, so from S the trunk runs down and backward.
    theta = math.radians(incline_deg)
    along = np.array([-facing * math.sin(theta), math.cos(theta)])
    mid = np.array(centre)
    shoulder = mid - along * trunk_px / 2
    hip = mid + along * trunk_px / 2
    back = facing * np.array([-along[1], along[0]])

    mask = np.zeros((H, W))
    # Only the pixels near the trunk can be inside (quicker than supersampling the whole image).
    radius = trunk_px / 2 + 40 + FRONT_PX + BACK_PX + abs(hump_px) + abs(belly_px)
    x0, x1 = (int(np.clip(mid[0] + k * radius, 0, W)) for k in (-1, 1))
    y0, y1 = (int(np.clip(mid[1] + k * radius, 0, H)) for k in (-1, 1))
    n = SUPERSAMPLE
    sub = (np.arange(n) + 0.5) / n - 0.5
    px = (np.arange(x0, x1)[:, None] + sub).ravel()[None, :]
    py = (np.arange(y0, y1)[:, None] + sub).ravel()[:, None]
    s = (px - shoulder[0]) * along[0] + (py - shoulder[1]) * along[1]
    r = (px - shoulder[0]) * back[0] + (py - shoulder[1]) * back[1]
    sc = np.clip(s, 0.0, trunk_px)
    bulge = 4 * sc * (trunk_px - sc) / trunk_px**2
    inside = (
        (s >= -40)
        & (s <= trunk_px + 40)
        & (r <= BACK_PX + hump_px * bulge)
        & (r >= -FRONT_PX - belly_px * bulge)
    )
    mask[y0:y1, x0:x1] = inside.reshape(y1 - y0, n, x1 - x0, n).mean(axis=(1, 3))

    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    forward = np.array([facing, 0.0])
    # Left and right points a few pixels apart, their midpoints on the trunk line.
    for side, dx in (("left", 2.0), ("right", -2.0)):
        apart = np.array([dx, 0.0])
        xy[INDEX[f"{side}_shoulder"]] = shoulder + apart
        xy[INDEX[f"{side}_hip"]] = hip + apart
        xy[INDEX[f"{side}_ear"]] = shoulder - along * 50 + apart
        heel = hip + np.array([0.0, 150.0]) + apart
        xy[INDEX[f"{side}_heel"]] = heel
        xy[INDEX[f"{side}_foot_index"]] = heel + forward * 40
    xy[INDEX["nose"]] = shoulder - along * 50 + forward * 15
    return mask, xy


def _bow(hump_px: float, trunk_px: float = TRUNK_PX) -> float:
    return 0.9 / 0.95 * hump_px / trunk_px


def _bend_deg(hump_px: float, trunk_px: float = TRUNK_PX) -> float:
    return 2 * math.degrees(math.atan(2 * hump_px / trunk_px))


# Edges are found to ~0.1 px; 0.003 of a 190 px chord is about half a pixel.
BOW_TOL = 0.003
BEND_TOL_DEG = 1.0


@pytest.mark.parametrize(
    ("scenario", "facing", "incline_deg", "hump_px", "belly_px"),
    [
        ("straight, upright, facing right", 1, 0.0, 0.0, 0.0),
        ("straight, upright, facing left", -1, 0.0, 0.0, 0.0),
        ("straight, trunk at 45 deg, facing right", 1, 45.0, 0.0, 0.0),
        ("straight, trunk at 45 deg, facing left", -1, 45.0, 0.0, 0.0),
        ("straight, trunk horizontal, facing right", 1, 90.0, 0.0, 0.0),
        ("straight, trunk horizontal, facing left", -1, 90.0, 0.0, 0.0),
        ("rounded 20 px, upright, facing right", 1, 0.0, 20.0, 0.0),
        ("rounded 20 px, trunk at 45 deg, facing left", -1, 45.0, 20.0, 0.0),
        ("rounded 20 px, trunk horizontal, facing right", 1, 90.0, 20.0, 0.0),
        ("rounded 20 px, trunk horizontal, facing left", -1, 90.0, 20.0, 0.0),
        ("rounded 10 px, trunk at 60 deg, facing right", 1, 60.0, 10.0, 0.0),
        # The front is not the back: a belly facing either way reads straight.
        ("straight back, 25 px belly, horizontal, facing right", 1, 90.0, 0.0, 25.0),
        ("straight back, 25 px belly, at 45 deg, facing left", -1, 45.0, 0.0, 25.0),
    ],
)
def test_bow_and_bend_of_drawn_backs(scenario, facing, incline_deg, hump_px, belly_px):
    mask, xy = trunk_scene(facing, incline_deg, hump_px, belly_px)
    curve = measure_back_curve(mask, xy)
    assert curve.coverage == 1.0, scenario
    assert curve.facing == facing, scenario
    assert curve.bow == pytest.approx(_bow(hump_px), abs=BOW_TOL), scenario
    assert curve.hollow == pytest.approx(0.0, abs=BOW_TOL), scenario
    assert curve.bend_deg == pytest.approx(_bend_deg(hump_px), abs=BEND_TOL_DEG), scenario
    # Every outline point lies on the drawn back, BACK_PX + hump beyond the trunk line.
    assert np.isfinite(curve.outline_xy_px).all()


def test_the_trunk_scene_draws_what_it_says():
    # Facing right and horizontal: shoulder right of the hip, the back above the trunk line.
    mask, xy = trunk_scene(1, 90.0)
    sho = (xy[INDEX["left_shoulder"]] + xy[INDEX["right_shoulder"]]) / 2
    hip = (xy[INDEX["left_hip"]] + xy[INDEX["right_hip"]]) / 2
    assert sho[0] - hip[0] == pytest.approx(TRUNK_PX)
    assert sho[1] == pytest.approx(hip[1])
    x, y = round(float(sho[0]) - 100), round(float(sho[1]))
    assert mask[y - int(BACK_PX) + 2, x] == 1.0 and mask[y - int(BACK_PX) - 2, x] == 0.0
    assert mask[y + int(FRONT_PX) - 2, x] == 1.0 and mask[y + int(FRONT_PX) + 2, x] == 0.0


def test_a_hollow_back_reads_as_hollow_not_bowed():
    mask, xy = trunk_scene(-1, 45.0, hump_px=-12.0)
    curve = measure_back_curve(mask, xy)
    assert curve.bow == pytest.approx(0.0, abs=BOW_TOL)
    assert curve.hollow == pytest.approx(_bow(12.0), abs=BOW_TOL)
    assert curve.bend_deg == pytest.approx(-_bend_deg(12.0), abs=BEND_TOL_DEG)


def test_the_outline_sits_on_the_drawn_back():
    mask, xy = trunk_scene(1, 0.0, hump_px=20.0)
    curve = measure_back_curve(mask, xy)
    # Upright, facing right: the back is to the left of the trunk line at x = 320.
    expected_x = 320 - BACK_PX - 20.0 * 4 * 0.475 * 0.525  # a middle level (k = 9)
    assert curve.outline_xy_px[9, 0] == pytest.approx(expected_x, abs=0.2)


@pytest.mark.parametrize(
    ("scenario", "hole_levels", "expected_coverage"),
    [
        # An arm across the trunk hides levels 6..13 of 20: 60% found, below the 70% needed.
        ("40% of the levels hidden", (0.3, 0.7), 0.6),
        # Levels 8..11 hidden: 80% found, still measured.
        ("20% of the levels hidden", (0.4, 0.6), 0.8),
    ],
)
def test_gaps_in_the_mask_lower_coverage(scenario, hole_levels, expected_coverage):
    mask, xy = trunk_scene(1, 0.0)  # upright: levels are image rows from y = 140 to 340
    y0, y1 = (round(140 + TRUNK_PX * f) for f in hole_levels)
    mask[y0:y1, :] = 0.0
    curve = measure_back_curve(mask, xy)
    assert curve.coverage == pytest.approx(expected_coverage), scenario
    if expected_coverage < 0.7:
        assert math.isnan(curve.bow) and math.isnan(curve.bend_deg), scenario
    else:
        assert curve.bow == pytest.approx(0.0, abs=BOW_TOL), scenario


def test_a_mask_running_off_the_image_is_not_an_outline():
    # Horizontal, facing right, the back up against the top edge: the march leaves the image.
    mask, xy = trunk_scene(1, 90.0, centre=(320.0, 20.0))
    curve = measure_back_curve(mask, xy)
    assert curve.coverage == 0.0
    assert math.isnan(curve.bow)


def test_a_mask_that_bleeds_into_the_background_is_not_an_outline():
    mask, xy = trunk_scene(1, 0.0)
    mask[:, :320] = 1.0  # everything behind the person reads as person (a wall, a plate)
    curve = measure_back_curve(mask, xy)
    assert curve.coverage == 0.0
    assert math.isnan(curve.bow)


@pytest.mark.parametrize(
    ("scenario", "names"),
    [
        ("no shoulders", ("left_shoulder", "right_shoulder")),
        ("no hips", ("left_hip", "right_hip")),
        ("no pose at all", LANDMARK_NAMES),
        ("no face and no feet: facing unknown", ("nose", "left_ear", "right_ear",
                                                  "left_heel", "right_heel",
                                                  "left_foot_index", "right_foot_index")),
    ],
)  # fmt: skip
def test_missing_landmarks_give_nan(scenario, names):
    mask, xy = trunk_scene(1, 45.0, hump_px=20.0)
    for name in names:
        xy[INDEX[name]] = np.nan
    curve = measure_back_curve(mask, xy)
    assert math.isnan(curve.bow) and math.isnan(curve.bend_deg), scenario
    assert curve.coverage == 0.0, scenario
    assert all(math.isnan(v) for k, v in curve.extras().items() if k != "back_coverage")


def test_facing_can_be_given_when_the_frame_cannot_tell():
    mask, xy = trunk_scene(-1, 45.0, hump_px=20.0)
    for name in ("nose", "left_ear", "right_ear", "left_heel", "right_heel"):
        xy[INDEX[name]] = np.nan
    xy[INDEX["left_foot_index"]] = xy[INDEX["right_foot_index"]] = np.nan
    assert math.isnan(measure_back_curve(mask, xy).bow)
    assert measure_back_curve(mask, xy, facing=-1).bow == pytest.approx(_bow(20.0), abs=BOW_TOL)


def test_a_trunk_too_small_to_measure_gives_nan():
    mask, xy = trunk_scene(1, 0.0, hump_px=2.0, trunk_px=15.0)
    assert math.isnan(measure_back_curve(mask, xy).bow)


def test_mask_shape_errors_say_what_was_expected():
    _, xy = trunk_scene(1, 0.0)
    with pytest.raises(ValueError, match=r"mask must be \(H, W\), got shape \(4,\)"):
        measure_back_curve(np.zeros(4), xy)
    with pytest.raises(ValueError, match=r"xy_px must be \(33, 2\), got shape \(2, 2\)"):
        measure_back_curve(np.zeros((4, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="facing must be -1, 0, 1 or None, got 2"):
        measure_back_curve(np.zeros((4, 4)), xy, facing=2)


def test_an_hxwx1_mask_is_accepted():
    mask, xy = trunk_scene(1, 90.0, hump_px=20.0)
    curve = measure_back_curve(mask[:, :, None].astype(np.float32), xy)
    assert curve.bow == pytest.approx(_bow(20.0), abs=BOW_TOL)


@pytest.mark.parametrize(
    ("scenario", "facing", "head_down"),
    [
        ("facing right, head up", 1, False),
        ("facing left, head up", -1, False),
        # Bent over, the face points at the floor; the feet still tell.
        ("facing right, head hanging", 1, True),
        ("facing left, head hanging", -1, True),
    ],
)
def test_facing_evidence(scenario, facing, head_down):
    _, xy = trunk_scene(facing, 90.0)
    if head_down:
        xy[INDEX["nose"], 0] = xy[INDEX["left_ear"], 0] - facing * 5
    assert np.sign(facing_evidence(xy)) == facing, scenario


def test_facing_vote_follows_the_majority_and_restarts_with_a_new_stream():
    _, right = trunk_scene(1, 0.0)
    _, left = trunk_scene(-1, 0.0)
    vote = FacingVote(window_s=5.0)
    assert [vote.update(t, right) for t in (0.0, 0.1, 0.2)] == [1, 1, 1]
    assert vote.update(0.3, left) == 1  # one odd frame does not flip it
    assert vote.update(0.4, left) == 1
    assert vote.update(0.5, left) == -1  # a tie (3 against 3): the latest frame decides
    assert vote.update(6.0, left) == -1  # the old votes have left the 5 s window
    # A new stream (time going back) forgets the old votes.
    assert vote.update(0.0, right) == 1


def test_the_module_is_core_code():
    code = (
        "import sys\nimport formcheck.signals.back_curve\n"
        "print(','.join(m for m in ('cv2', 'streamlit', 'mediapipe', 'av') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- landmark extras: PoseFrame / LandmarkSeries --------------------------------------------


def _frame(t_s: float, extras: dict[str, float] | None = None) -> PoseFrame:
    xy = np.arange(NUM_LANDMARKS * 2, dtype=float).reshape(NUM_LANDMARKS, 2) + t_s
    world = np.zeros((NUM_LANDMARKS, 3))
    vis = np.full(NUM_LANDMARKS, 0.9)
    if extras is None:
        return PoseFrame(t_s, xy, world, vis, (640, 480))
    return PoseFrame(t_s, xy, world, vis, (640, 480), extras)


def test_pose_frame_extras_default_empty_and_survive_mirroring():
    assert dict(_frame(0.0).extras) == {}
    frame = _frame(0.0, {"back_bow": 0.05})
    assert frame.mirrored().extras == {"back_bow": 0.05}


def test_series_carries_extras_through_frames_and_save_load(tmp_path: Path):
    frames = [
        _frame(0.0, {"back_bow": 0.04, "back_coverage": 1.0}),
        None,  # no pose
        _frame(0.2, {"back_bow": math.nan, "back_coverage": 0.5}),
        _frame(0.3),  # a frame measured without the mask
    ]
    series = LandmarkSeries.from_frames([0.0, 0.1, 0.2, 0.3], frames, (640, 480), "clip.mp4")
    assert sorted(series.extras) == ["back_bow", "back_coverage"]
    np.testing.assert_array_equal(series.extras["back_bow"], [0.04, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(series.extras["back_coverage"], [1.0, np.nan, 0.5, np.nan])

    path = tmp_path / "series.npz"
    series.save(path)
    loaded = LandmarkSeries.load(path)
    assert loaded.source == "clip.mp4" and loaded.image_wh == (640, 480)
    np.testing.assert_array_equal(loaded.xy_px, series.xy_px)
    assert sorted(loaded.extras) == sorted(series.extras)
    for name, values in series.extras.items():
        np.testing.assert_array_equal(loaded.extras[name], values)
    first = loaded.frame(0)
    assert first is not None and first.extras == {"back_bow": 0.04, "back_coverage": 1.0}
    assert loaded.frame(1) is None


def test_series_without_extras_round_trips(tmp_path: Path):
    series = LandmarkSeries.from_frames([0.0, 0.1], [_frame(0.0), _frame(0.1)], (640, 480))
    assert series.extras == {}
    series.save(tmp_path / "plain.npz")
    loaded = LandmarkSeries.load(tmp_path / "plain.npz")
    assert loaded.extras == {}
    frame = loaded.frame(1)
    assert frame is not None and dict(frame.extras) == {}


def test_backend_extras_names_are_the_modules():
    mask, xy = trunk_scene(1, 45.0)
    assert tuple(measure_back_curve(mask, xy).extras()) == EXTRA_NAMES


def _save_version_1(path: Path, n: int) -> None:
    """A file as format version 1 wrote it (no extras)."""
    np.savez_compressed(
        path,
        format_version=np.array(1),
        t_s=np.arange(n) * 0.1,
        xy_px=np.ones((n, NUM_LANDMARKS, 2)),
        world_xyz_m=np.zeros((n, NUM_LANDMARKS, 3)),
        visibility=np.ones((n, NUM_LANDMARKS)),
        image_wh=np.array((640, 480)),
        landmark_names=np.array(LANDMARK_NAMES),
        source=np.array("old.mp4"),
    )


def test_version_1_files_still_load(tmp_path: Path):
    _save_version_1(tmp_path / "v1.npz", 3)
    series = LandmarkSeries.load(tmp_path / "v1.npz")
    assert len(series) == 3 and series.source == "old.mp4"
    assert series.extras == {}
    frame = series.frame(2)
    assert frame is not None and dict(frame.extras) == {}


def test_unknown_versions_are_refused(tmp_path: Path):
    series = LandmarkSeries.from_frames([0.0], [_frame(0.0)], (640, 480))
    series.save(tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz") as data:
        fields = dict(data)
    fields["format_version"] = np.array(99)
    np.savez_compressed(tmp_path / "future.npz", **fields)
    with pytest.raises(ValueError, match="unsupported landmark file version 99"):
        LandmarkSeries.load(tmp_path / "future.npz")


def test_extras_of_the_wrong_length_are_refused():
    series = LandmarkSeries.from_frames([0.0, 0.1], [_frame(0.0), None], (640, 480))
    with pytest.raises(ValueError, match=r"extras\['back_bow'\] must have shape \(2,\)"):
        LandmarkSeries(
            series.t_s,
            series.xy_px,
            series.world_xyz_m,
            series.visibility,
            series.image_wh,
            extras={"back_bow": np.zeros(3)},
        )


# --- the backend on real clips (slow: runs the pose model) -----------------------------------


def _run_backend(model_path: Path, video: Path, back_curve: bool) -> list[PoseFrame | None]:
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
    from formcheck.source.video import iter_frames

    with MediaPipePoseBackend(model_path, back_curve=back_curve) as backend:
        return [backend.detect(rgb, t_s) for t_s, rgb in iter_frames(video)]


def _bent_over_bow_p90(frames: list[PoseFrame | None]) -> float:
    bows = []
    for f in frames:
        if f is None:
            continue
        trunk = (f.xy("left_shoulder") + f.xy("right_shoulder")) / 2 - (
            f.xy("left_hip") + f.xy("right_hip")
        ) / 2
        if math.degrees(math.atan2(abs(trunk[0]), -trunk[1])) > 30:
            bows.append(f.extras["back_bow"])
    return float(np.nanpercentile(bows, 90))


@pytest.mark.slow
def test_backend_masks_leave_landmarks_alone_and_see_the_rounded_back(clips_dir, model_path):
    # The same man in the same garage, side-on: one deadlift rounded, one neutral (hand labels).
    rounded = clips_dir / "deadlift_side_rounded_garage_quiz.mp4"
    neutral = clips_dir / "deadlift_side_neutral_garage_quiz.mp4"
    with_masks = _run_backend(model_path, rounded, back_curve=True)
    without = _run_backend(model_path, rounded, back_curve=False)
    assert len(with_masks) == len(without)
    for a, b in zip(with_masks, without, strict=True):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            np.testing.assert_array_equal(a.xy_px, b.xy_px)
            np.testing.assert_array_equal(a.world_xyz_m, b.world_xyz_m)
            assert tuple(a.extras) == EXTRA_NAMES
            assert dict(b.extras) == {}
    # Measured: 0.171 rounded vs 0.047 neutral.
    assert _bent_over_bow_p90(with_masks) > 0.12
    assert _bent_over_bow_p90(_run_backend(model_path, neutral, back_curve=True)) < 0.08
