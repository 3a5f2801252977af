"""Neuron maps: each hidden unit's activation, and the network's output, over the input plane, computed in a
thread of their own (the network diagram draws them in its nodes).

A map is a small image (MAP_SIDE x MAP_SIDE points) over the same plane and slice as the boundary plot; the one
map shown large is computed on the boundary plot's grid (LARGE_SIDE per side). A pass costs grid points x hidden
units (41 x 41 x 1024: about 7 ms of NumPy; the large map at 101 x 101: about 60 ms), so like the boundary's
surface it runs off the GUI thread: the diagram submits a :class:`MapRequest` per frame, :class:`NeuronMapComputer`
works on the newest one only and hands the finished :class:`NeuronMaps` back through a queued signal. The same pass
prepares the weight-matrix image of a network too large to draw as a diagram. No widgets here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from gui.views.boundary import GRID_POINTS, sample_rows
from gui.views.surface import BLOCK_VALUES, REST_FRACTION, SurfaceComputer, SurfaceGrid, Workspaces, image_of
from model.datasets import Dataset
from model.network import NetworkSpec, Params, forward

MAP_SIDE = 41  # points per side of a node's map (odd: the plane's centre is a point)
LARGE_SIDE = GRID_POINTS  # of the map shown large: the boundary plot's grid
MAP_INTERVAL = 0.2  # seconds between map passes while training, at least (a final request starts at once)
OUTPUT_UNIT = -1  # MapRequest.large_unit for the output node's map
BOUNDED_LEVELS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # activations with a fixed range
# A scale's steps in each power of ten: fine enough that a map's largest value takes at least 3/4 of its colour
# range, coarse enough that it changes only now and then as the values grow.
CEILING_STEPS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
LEVEL_LIMIT = 1e30  # the largest stepped level: images are float32, and pyqtgraph scales them by their levels
PLANE_PADDING = 0.25  # a plane of its own extends the data's range by this share of it on each side


@dataclass(frozen=True)
class MapPlane:
    """The part of input space the maps show: x1 over ``x_range`` (and x2 over ``y_range``), the inputs beyond
    them held at ``slice_values``."""

    x_range: tuple[float, float]
    y_range: tuple[float, float] | None  # None: a one-input network, maps along x1
    slice_values: tuple[float, ...]
    n_inputs: int

    @classmethod
    def of_grid(cls, grid_inputs: np.ndarray, slice_values) -> MapPlane:
        """The plane of a boundary plot's grid (BoundaryPlot.grid_inputs(): its first and last rows are opposite
        corners), on its slice."""
        first, last = grid_inputs[0], grid_inputs[-1]
        n_inputs = grid_inputs.shape[1]
        y_range = (float(first[1]), float(last[1])) if n_inputs > 1 else None
        return cls((float(first[0]), float(last[0])), y_range, tuple(float(v) for v in slice_values), n_inputs)

    @classmethod
    def around(cls, dataset: Dataset) -> MapPlane:
        """A plane of its own over the data's range (of a sample of at most boundary.MAX_POINTS rows), padded,
        the other inputs at their median."""
        X = dataset.X[sample_rows(len(dataset.X))]
        ranges = [padded_range(float(X[:, c].min()), float(X[:, c].max()), PLANE_PADDING) for c in range(X.shape[1])]
        slice_values = tuple(float(np.median(X[:, c])) for c in range(2, X.shape[1]))
        return cls(ranges[0], ranges[1] if X.shape[1] > 1 else None, slice_values, X.shape[1])

    def grid(self, side: int) -> SurfaceGrid:
        if self.y_range is None:
            return SurfaceGrid.along_line(self.x_range, side)
        return SurfaceGrid.over_plane(self.x_range, self.y_range, side, self.n_inputs)

    def inputs(self, side: int) -> np.ndarray:
        """Every map point's input row, (points, n_inputs), in image order (row-major: [x2 index, x1 index])."""
        return self.grid(side).inputs(self.slice_values)

    def image_shape(self, side: int) -> tuple[int, int]:
        return (side, side) if self.y_range is not None else (1, side)


@dataclass(frozen=True)
class MapRequest:
    """One set of maps to compute; nothing in it is shared mutably with the GUI thread."""

    seq: int  # increases with every request of a view
    generation: int  # the view's layout it belongs to (a new network or a new set of units makes a new one)
    theta: np.ndarray  # a private copy
    spec: NetworkSpec
    n_hidden: int
    plane: MapPlane
    units: tuple[int, ...]  # the hidden units (0-based) whose maps are drawn
    output_levels: tuple[float, float]
    large_unit: int | None = None  # the map shown large: a hidden unit, OUTPUT_UNIT, or None
    matrix: bool = False  # also the weight-matrix image (a network too large for a diagram)
    final: bool = True  # paused or stepped: computed at once, not after the rest between passes


@dataclass(frozen=True)
class NeuronMaps:
    """Computed maps: values as computed (float64) and the images drawn from them (float32, clipped near the
    levels). ``hidden`` holds the request's units in its order."""

    request: MapRequest
    hidden: np.ndarray | None = None  # (units, rows, columns) activations
    output: np.ndarray | None = None  # (rows, columns) the network's output
    hidden_levels: tuple[float, float] = (0.0, 1.0)
    hidden_images: np.ndarray | None = None
    output_image: np.ndarray | None = None
    large: np.ndarray | None = None  # (LARGE_SIDE rows, columns) of request.large_unit
    large_image: np.ndarray | None = None
    matrix_image: np.ndarray | None = None  # (inputs + 2, hidden): W1's rows, then b1, then w2
    matrix_levels: tuple[float, float] = (-1.0, 1.0)
    error: BaseException | None = None

    @property
    def large_levels(self) -> tuple[float, float]:
        return self.request.output_levels if self.request.large_unit == OUTPUT_UNIT else self.hidden_levels


def padded_range(low: float, high: float, fraction: float) -> tuple[float, float]:
    """[low, high] widened by ``fraction`` of its width on each side; a single value: by half of it, at least 1."""
    pad = fraction * (high - low) if high > low else max(1.0, abs(low) * 0.5)
    return low - pad, high + pad


def stepped_ceiling(value: float) -> float:
    """The smallest of CEILING_STEPS times a power of ten at least ``value`` (1 for 0 or a non-finite value), at
    most LEVEL_LIMIT: a colour scale set from it changes now and then as values grow, not every frame."""
    if not (math.isfinite(value) and value > 0):
        return 1.0
    if value >= LEVEL_LIMIT:
        return LEVEL_LIMIT
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in CEILING_STEPS if m * power >= value * (1 - 1e-12))


def hidden_levels(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The hidden maps' colour levels: the activation's range when it has one (sigmoid 0..1, tanh -1..1), else
    +-stepped_ceiling(largest |value|), so 0 is the scale's white middle."""
    if activation in BOUNDED_LEVELS:
        return BOUNDED_LEVELS[activation]
    magnitudes = np.abs(values[np.isfinite(values)])
    top = stepped_ceiling(float(magnitudes.max()) if magnitudes.size else 0.0)
    return -top, top


def output_levels(dataset: Dataset) -> tuple[float, float]:
    """The output map's levels, as the boundary plot's: 0..1 for classification, the targets' range (of a
    sample) padded by a tenth for regression."""
    if dataset.task == "classification":
        return 0.0, 1.0
    y = dataset.y[sample_rows(len(dataset.y)), 0]
    return padded_range(float(y.min()), float(y.max()), 0.1)


def evaluate_units(params: Params, inputs: np.ndarray, spec: NetworkSpec, units, workspaces: Workspaces
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations of ``units`` (points, len(units)) and the output (points,) at every row of ``inputs``,
    by forward() in blocks of rows (at most surface.BLOCK_VALUES hidden values at once)."""
    units = np.asarray(units, dtype=np.intp)
    hidden = np.empty((len(inputs), len(units)))
    output = np.empty(len(inputs))
    block = max(1, BLOCK_VALUES // params.n_hidden)
    for start in range(0, len(inputs), block):
        rows = inputs[start : start + block]
        workspace = workspaces.get(len(rows), params.n_inputs, params.n_hidden)
        forward(params, rows, workspace, spec)
        hidden[start : start + len(rows)] = workspace.a1[:, units]
        output[start : start + len(rows)] = workspace.p[:, 0]
    return hidden, output


def compute_neuron_maps(request: MapRequest, workspaces: Workspaces | None = None) -> NeuronMaps:
    """The request's hidden maps and output map, the large one if asked for, and the weight-matrix image."""
    with np.errstate(all="ignore"):  # a diverging network's overflow is drawn, not warned about
        return _neuron_maps(request, Workspaces() if workspaces is None else workspaces)


def _neuron_maps(request: MapRequest, workspaces: Workspaces) -> NeuronMaps:
    plane = request.plane
    params = Params(plane.n_inputs, request.n_hidden, request.theta)
    hidden, output = evaluate_units(params, plane.inputs(MAP_SIDE), request.spec, request.units, workspaces)
    shape = plane.image_shape(MAP_SIDE)
    hidden = np.moveaxis(hidden, 1, 0).reshape(len(request.units), *shape)
    output = output.reshape(shape)
    levels = hidden_levels(request.spec.activation.name, hidden)
    maps = {"hidden": hidden, "output": output, "hidden_levels": levels,
            "hidden_images": image_of(hidden, levels), "output_image": image_of(output, request.output_levels)}
    if request.large_unit is not None:
        maps.update(_large_map(request, params, workspaces, levels))
    if request.matrix:
        maps.update(_matrix_image(params))
    return NeuronMaps(request, **maps)


def _large_map(request: MapRequest, params: Params, workspaces: Workspaces, levels: tuple[float, float]) -> dict:
    unit = request.large_unit
    units = (max(unit, 0),)
    hidden, output = evaluate_units(params, request.plane.inputs(LARGE_SIDE), request.spec, units, workspaces)
    values = (output if unit == OUTPUT_UNIT else hidden[:, 0]).reshape(request.plane.image_shape(LARGE_SIDE))
    large_levels = request.output_levels if unit == OUTPUT_UNIT else levels
    return {"large": values, "large_image": image_of(values, large_levels)}


def _matrix_image(params: Params) -> dict:
    """W1 (inputs x hidden) with b1 and w2 as two more rows, on a symmetric stepped scale of the largest |entry|."""
    rows = np.vstack([params.W1, params.b1[None, :], params.W2.T])
    finite = np.abs(params.theta[np.isfinite(params.theta)])
    top = stepped_ceiling(float(finite.max()) if finite.size else 0.0)
    return {"matrix_image": image_of(rows, (-top, top)), "matrix_levels": (-top, top)}


class NeuronMapComputer(SurfaceComputer):
    """SurfaceComputer's newest-request-only thread, computing neuron maps: while training it rests at least
    MAP_INTERVAL between passes (and REST_FRACTION times a pass's time), a final request starts at once."""

    def __init__(self):
        super().__init__()
        self._thread.name = "neuron-maps"

    def _run(self) -> None:
        workspaces = Workspaces()
        while (request := self._next_request()) is not None:
            started = time.perf_counter()
            try:
                maps = compute_neuron_maps(request, workspaces)
            except Exception as error:  # handed to the GUI thread, which raises it there
                maps = NeuronMaps(request, error=error)
            finished = time.perf_counter()
            took = finished - started
            if not self._deliver(maps, rest_until=finished + max(REST_FRACTION * took, MAP_INTERVAL - took)):
                return
