"""The network's output over the boundary plot's grid, computed in a thread of its own.

A grid pass costs grid points x hidden units: 101 x 101 x 1024 is ~50 ms of NumPy, too long for the GUI
thread at 30 frames a second. The view submits a :class:`SurfaceRequest` (weights, grid, slice) for each
frame; :class:`SurfaceComputer` works on the newest one only (a request still waiting when a newer one comes
is dropped), and hands each :class:`Surface` back through a queued signal, so the GUI thread only feeds the
finished arrays to its items. Big matrix products and tanh release the GIL, so the GUI thread runs meanwhile.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal

from model.network import NetworkSpec, Params, Workspace, predict

DECISION_LEVEL = 0.5  # the classification threshold the decision line traces
LINE_INTERVAL = 0.25  # seconds between decision-line traces while training (a final frame is always traced)
JOIN_SECONDS = 5.0  # longest close() waits for a computation under way (one takes tens of ms)
# Grid rows x hidden units per block of the grid pass: with 1024 hidden units a whole 101 x 101 grid would
# need 170 MB of hidden values; blocks of 1024 rows need 16 MB, and run faster for staying in cache.
BLOCK_VALUES = 1 << 20
# While training, the thread rests this multiple of each computation's time before the next, so it takes at most
# a quarter of a core: a 1024-unit grid pass takes ~45 ms, and on two cores the trainer and the GUI thread need
# the rest (about 5 surfaces a second then). A small network's pass takes a millisecond, so it is drawn every
# frame all the same.
REST_FRACTION = 3.0
# A final surface (paused, stepped, a slider or the history bar moved) of at least this many hidden values (101 x
# 101 points: 412 hidden units, a pass of ~15 ms and more) is drawn first from every other grid point, a quarter of
# the work, so the view follows a move within a frame; the whole grid follows unless a newer request already waits
# (so a drag shows previews until it rests). Below it a whole pass is quick, and a preview would only add to it.
PREVIEW_VALUES = 1 << 22


@dataclass(frozen=True)
class SurfaceGrid:
    """Where the output is evaluated: ``plane`` holds x1 (and x2) of every grid point in image order; the
    inputs beyond them are held at the slice values. ``shape`` is the image's (rows, columns), or (points,)
    for a curve along one input."""

    plane: np.ndarray  # (points, 1 or 2), read-only
    shape: tuple[int, ...]
    n_inputs: int

    @classmethod
    def over_plane(cls, x_range: tuple[float, float], y_range: tuple[float, float], side: int,
                   n_inputs: int) -> SurfaceGrid:
        xs, ys = np.linspace(*x_range, side), np.linspace(*y_range, side)
        plane = np.empty((side * side, 2))
        plane[:, 0] = np.tile(xs, side)  # row-major: row = x2 index, column = x1 index
        plane[:, 1] = np.repeat(ys, side)
        plane.flags.writeable = False
        return cls(plane, (side, side), n_inputs)

    @classmethod
    def along_line(cls, x_range: tuple[float, float], points: int) -> SurfaceGrid:
        plane = np.linspace(*x_range, points)[:, None]
        plane.flags.writeable = False
        return cls(plane, (points,), 1)

    def inputs(self, slice_values, out: np.ndarray | None = None) -> np.ndarray:
        """Every grid point's full input row: (points, n_inputs)."""
        if out is None or out.shape != (len(self.plane), self.n_inputs):
            out = np.empty((len(self.plane), self.n_inputs))
        k = self.plane.shape[1]
        out[:, :k] = self.plane
        out[:, k:] = np.asarray(slice_values, dtype=np.float64)
        return out


@dataclass(frozen=True)
class SurfaceRequest:
    """One surface to compute: everything the thread needs, none of it shared with the GUI thread mutably."""

    seq: int  # increases with every request of a view
    generation: int  # the view's layout it belongs to (a new network or dataset makes a new one)
    theta: np.ndarray  # a private copy
    spec: NetworkSpec
    n_hidden: int
    grid: SurfaceGrid
    slice_values: tuple[float, ...]
    levels: tuple[float, float]
    trace_line: bool  # classification on a plane: trace the decision line
    final: bool  # paused or stepped: trace the line now rather than at most every LINE_INTERVAL


@dataclass(frozen=True)
class Surface:
    """A computed surface: the predictions, the image drawn from them, and the decision line."""

    request: SurfaceRequest
    values: np.ndarray | None = None  # float64, shaped like the grid
    image: np.ndarray | None = None  # float32, within the levels' reach (a plane only)
    line: tuple[np.ndarray, np.ndarray] | None = None  # x, y in the image's pixel coordinates; None: keep the last
    error: BaseException | None = None
    preview: bool = False  # from every other grid point (compute_preview): the whole surface follows


class Workspaces:
    """The grid pass's buffers, kept from pass to pass: one Workspace of the network's shape, with as many rows as
    the largest block asked for; a shorter block (a grid's last one, a preview's) uses its first rows, so a pass
    allocates nothing once the first has run."""

    def __init__(self):
        self._shape: tuple[int, int] | None = None  # (n_inputs, n_hidden) of the workspace held
        self._workspace: Workspace | None = None

    def get(self, rows: int, n_inputs: int, n_hidden: int) -> Workspace:
        workspace = self._workspace
        if workspace is None or self._shape != (n_inputs, n_hidden) or workspace.m < rows:
            self._workspace = None  # another network, or a longer block: the old buffers go first
            workspace = self._workspace = Workspace(rows, n_inputs, n_hidden)
            self._shape = (n_inputs, n_hidden)
        return workspace if workspace.m == rows else workspace.first_rows(rows)


def compute_surface(request: SurfaceRequest, workspaces: Workspaces | None = None, inputs: np.ndarray | None = None,
                    trace_line: bool = True) -> Surface:
    """The network's output on the request's grid (``predict``, in blocks of rows), its image and its decision
    line. ``inputs``: the grid's input rows, already filled (the thread reuses a buffer); built when None."""
    grid = request.grid
    if inputs is None:
        inputs = grid.inputs(request.slice_values)
    values = grid_values(request, inputs, Workspaces() if workspaces is None else workspaces).reshape(grid.shape)
    if len(grid.shape) == 1:
        return Surface(request, values)
    image = image_of(values, request.levels)
    line = level_lines(image, DECISION_LEVEL) if request.trace_line and trace_line else None
    return Surface(request, values, image, line)


def grid_values(request: SurfaceRequest, inputs: np.ndarray, workspaces: Workspaces) -> np.ndarray:
    """The network's output at every row of ``inputs``, (rows,), by predict in blocks of BLOCK_VALUES."""
    params = Params(inputs.shape[1], request.n_hidden, request.theta)
    values = np.empty(len(inputs))
    block = max(1, BLOCK_VALUES // request.n_hidden)
    for start in range(0, len(inputs), block):
        rows = inputs[start : start + block]
        workspace = workspaces.get(len(rows), inputs.shape[1], request.n_hidden)
        values[start : start + len(rows)] = predict(params, rows, request.spec, workspace)[:, 0]
    return values


def wants_preview(request: SurfaceRequest) -> bool:
    """Whether the request is drawn first from every other grid point: a final one on a plane of odd sides (so
    the coarse points include the edges) costing at least PREVIEW_VALUES."""
    shape = request.grid.shape
    return (request.final and len(shape) == 2 and min(shape) >= 3 and shape[0] % 2 == 1 and shape[1] % 2 == 1
            and shape[0] * shape[1] * request.n_hidden >= PREVIEW_VALUES)


def compute_preview(request: SurfaceRequest, workspaces: Workspaces, inputs: np.ndarray) -> Surface:
    """The surface from the grid's even rows and columns (a quarter of the work), the points between filled in
    linearly; the decision line traced on the coarse points. ``inputs``: the whole grid's rows."""
    rows, columns = request.grid.shape
    coarse_inputs = np.ascontiguousarray(inputs.reshape(rows, columns, -1)[::2, ::2]).reshape(-1, inputs.shape[1])
    coarse = grid_values(request, coarse_inputs, workspaces).reshape((rows + 1) // 2, (columns + 1) // 2)
    values = refined(coarse)
    line = None
    if request.trace_line:
        x, y = level_lines(image_of(coarse, request.levels), DECISION_LEVEL)
        line = (2 * x - 0.5, 2 * y - 0.5)  # coarse pixel k's centre (k + 0.5) is the grid's pixel 2k's (2k + 0.5)
    return Surface(request, values, image_of(values, request.levels), line, preview=True)


def refined(coarse: np.ndarray) -> np.ndarray:
    """(2r - 1, 2c - 1) values: ``coarse`` (r, c) at the even rows and columns, and between them the mean of the
    two (or four) around: linear interpolation on the grid."""
    rows, columns = coarse.shape
    fine = np.empty((2 * rows - 1, 2 * columns - 1))
    fine[::2, ::2] = coarse
    fine[::2, 1::2] = (coarse[:, :-1] + coarse[:, 1:]) / 2
    fine[1::2, :] = (fine[:-2:2, :] + fine[2::2, :]) / 2
    return fine


def image_of(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """The heatmap's pixels: the values clipped to a span around the levels (so a diverging network's huge
    output cannot overflow float32), NaN drawn at the low end."""
    lo, hi = levels
    span = hi - lo
    image = np.empty(values.shape, dtype=np.float32)
    np.clip(values, lo - span, hi + span, out=image)
    image[np.isnan(values)] = lo
    return image


def class_regions(values: np.ndarray) -> np.ndarray:
    """1 where the output gives class 1 (>= 0.5), else 0; NaN is neither class and is drawn as class 0."""
    with np.errstate(invalid="ignore"):
        return (values >= DECISION_LEVEL).astype(np.float32)


def level_lines(image: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Where ``image`` crosses ``level`` (marching squares), as polylines x, y separated by NaN, in the image's
    pixel coordinates: pixel [row i, column j] has its centre at (j + 0.5, i + 0.5)."""
    if min(image.shape) < 2:
        return np.empty(0), np.empty(0)
    v = np.asarray(image, dtype=np.float64)
    edge_x, edge_y, crossed = _edge_crossings(v, level)
    ids = _chained(_cell_segments(v, level, crossed))
    x, y = edge_x[np.maximum(ids, 0)], edge_y[np.maximum(ids, 0)]
    x[ids < 0] = np.nan  # the breaks between polylines
    y[ids < 0] = np.nan
    return x, y


def _edge_crossings(v: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each grid edge crosses the level, by linear interpolation, and whether it does. Edges are numbered
    horizontal ones first ((row i, columns j..j+1) at i * (columns - 1) + j), then vertical ones ((column j,
    rows i..i+1) at rows * (columns - 1) + i * columns + j)."""
    rows, columns = v.shape
    above = v >= level
    h_crossed = above[:, :-1] != above[:, 1:]
    v_crossed = above[:-1, :] != above[1:, :]
    with np.errstate(divide="ignore", invalid="ignore"):  # edges that do not cross are never read
        h_at = (level - v[:, :-1]) / (v[:, 1:] - v[:, :-1])
        v_at = (level - v[:-1, :]) / (v[1:, :] - v[:-1, :])
    i_h, j_h = np.mgrid[0:rows, 0 : columns - 1]
    i_v, j_v = np.mgrid[0 : rows - 1, 0:columns]
    edge_x = np.concatenate([(j_h + h_at + 0.5).ravel(), (j_v + 0.5).ravel()])
    edge_y = np.concatenate([(i_h + 0.5).ravel(), (i_v + v_at + 0.5).ravel()])
    return edge_x, edge_y, np.concatenate([h_crossed.ravel(), v_crossed.ravel()])


def _cell_segments(v: np.ndarray, level: float, crossed: np.ndarray) -> np.ndarray:
    """(segments, 2) pairs of crossed edges joined inside a grid cell: one pair in a cell with two crossed
    edges, two in a saddle (four), split the way the cell's mean value lies."""
    rows, columns = v.shape
    i, j = np.mgrid[0 : rows - 1, 0 : columns - 1]
    vertical = rows * (columns - 1)
    # A cell's edges in the order bottom, right, top, left.
    edges = np.stack([i * (columns - 1) + j, vertical + i * columns + j + 1, (i + 1) * (columns - 1) + j,
                      vertical + i * columns + j], axis=-1).reshape(-1, 4)
    hit = crossed[edges]
    count = hit.sum(axis=1)
    pairs = edges[count == 2][hit[count == 2]].reshape(-1, 2)
    saddle = np.flatnonzero(count == 4)
    if saddle.size:
        r, c = np.unravel_index(saddle, (rows - 1, columns - 1))
        mean = (v[r, c] + v[r, c + 1] + v[r + 1, c] + v[r + 1, c + 1]) / 4
        # The centre on the bottom-left corner's side: that corner joins the top-right one, and the lines cut off
        # the other two corners (bottom-right: bottom + right edges; top-left: top + left); otherwise the reverse.
        joined = (mean >= level) == (v[r, c] >= level)
        s = edges[saddle]
        first = np.where(joined[:, None], s[:, [0, 1]], s[:, [3, 0]])
        second = np.where(joined[:, None], s[:, [2, 3]], s[:, [1, 2]])
        pairs = np.concatenate([pairs, first, second])
    return pairs


def _chained(segments: np.ndarray) -> np.ndarray:
    """The segments' edges in drawing order: polylines of joined segments (a crossed edge belongs to at most
    two), separated by -1, so a dashed line's pattern runs on along a polyline instead of restarting per cell."""
    at_edge: dict[int, list[int]] = {}
    pairs = segments.tolist()
    for k, (a, b) in enumerate(pairs):
        at_edge.setdefault(a, []).append(k)
        at_edge.setdefault(b, []).append(k)
    used = [False] * len(pairs)
    ends = [edge for edge, ks in at_edge.items() if len(ks) == 1]  # open lines first, from one end; then loops
    order: list[int] = []
    for start in ends + [a for a, _b in pairs]:
        k = next((k for k in at_edge[start] if not used[k]), None)
        if k is None:
            continue
        order.append(start)
        edge = start
        while k is not None:
            used[k] = True
            a, b = pairs[k]
            edge = b if a == edge else a
            order.append(edge)
            k = next((k for k in at_edge[edge] if not used[k]), None)
        order.append(-1)
    return np.array(order, dtype=np.int64)


class SurfaceComputer(QObject):
    """Computes surfaces in a daemon thread, the newest request only, and emits each one done by ``computed``
    (connect it queued: the slot then runs on the GUI thread). While training it rests between computations
    (REST_FRACTION); a final request (paused, stepped, a slider moved) is started at once. ``close`` stops and
    joins the thread."""

    computed = Signal(object)  # a Surface

    def __init__(self):
        super().__init__()
        self._condition = threading.Condition()
        self._waiting: SurfaceRequest | None = None
        self._finished_seq = -1
        self._rest_until = 0.0  # while training, no computation starts before this (perf_counter)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="boundary-surface", daemon=True)
        self._thread.start()

    def submit(self, request: SurfaceRequest) -> None:
        """Compute this surface next; a request still waiting is dropped."""
        with self._condition:
            self._waiting = request
            self._condition.notify_all()

    def wait_finished(self, seq: int, timeout: float) -> bool:
        """Wait until request ``seq`` (or a later one) has been computed and emitted."""
        with self._condition:
            return self._condition.wait_for(lambda: self._finished_seq >= seq or self._closed, timeout)

    def close(self) -> None:
        """Stop the thread and wait for it (it ends after the computation under way, if any). Idempotent."""
        with self._condition:
            self._closed = True
            self._waiting = None
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(JOIN_SECONDS)

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        workspaces = Workspaces()
        inputs: np.ndarray | None = None
        last_line = -np.inf
        while (request := self._next_request()) is not None:
            started = time.perf_counter()
            inputs = request.grid.inputs(request.slice_values, out=inputs)  # a buffer of this thread's own, reused
            if wants_preview(request):
                preview = _preview_or_none(request, workspaces, inputs)
                if preview is not None and not self._deliver(preview):
                    return
                if self._newer_waiting():  # still moving: its preview next
                    continue
            trace = request.final or started - last_line >= LINE_INTERVAL
            try:
                with np.errstate(all="ignore"):  # a diverging network's overflow is drawn, not warned about
                    surface = compute_surface(request, workspaces, inputs, trace_line=trace)
            except Exception as error:  # handed to the GUI thread, which raises it there
                surface = Surface(request, error=error)
            if surface.line is not None:
                last_line = started
            finished = time.perf_counter()
            if not self._deliver(surface, rest_until=finished + REST_FRACTION * (finished - started)):
                return

    def _next_request(self) -> SurfaceRequest | None:
        """The newest request, once the thread has rested after the last one (a final request need not wait);
        None once closed."""
        with self._condition:
            while True:
                self._condition.wait_for(lambda: self._waiting is not None or self._closed)
                if self._closed:
                    return None
                rest = self._rest_until - time.perf_counter()
                if self._waiting.final or rest <= 0:
                    request, self._waiting = self._waiting, None
                    return request
                self._condition.wait(rest)  # a newer request (perhaps final) or close wakes it sooner

    def _newer_waiting(self) -> bool:
        with self._condition:
            return self._waiting is not None

    def _deliver(self, surface: Surface, rest_until: float | None = None) -> bool:
        """Emit the surface; False if the computer was closed meanwhile (then nothing is emitted). A preview
        (``rest_until`` None) leaves the request unfinished and the rest as it was."""
        with self._condition:
            if self._closed:
                return False
            self.computed.emit(surface)  # queued: only posts an event, so holding the lock is brief
            if rest_until is not None:
                self._finished_seq = surface.request.seq
                self._rest_until = rest_until
                self._condition.notify_all()
            return True


def _preview_or_none(request: SurfaceRequest, workspaces: Workspaces, inputs: np.ndarray) -> Surface | None:
    """The request's preview; None if it fails (the whole surface then reports the error)."""
    try:
        with np.errstate(all="ignore"):
            return compute_preview(request, workspaces, inputs)
    except Exception:
        return None


def wait_until_shown(computer: SurfaceComputer, pending, requested_seq, timeout: float) -> bool:
    """Wait (processing events, so the result is delivered and drawn) until ``pending()`` is false, at most
    ``timeout`` seconds; whether it was in time. For tests and exports: the window itself never waits."""
    deadline = time.monotonic() + timeout
    while pending():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not computer.is_running():
            return False
        computer.wait_finished(requested_seq(), min(remaining, 0.05))
        QCoreApplication.processEvents()
    return True
