"""Mini mode's geometry at each side edge, and the gaze directions, without a display."""

from __future__ import annotations

from deskpet.pet.gaze import look_index
from deskpet.pet.mini import LEFT, RIGHT, TUCKED, Box, edge_at, left_mini, near, tucked

AREA = Box(1440, 25, 1920, 1050)  # a second screen right of the first, below a menu bar
PET = Box(0, 0, 128, 128)


def at(x: int, y: int) -> Box:
    return Box(x, y, PET.width, PET.height)


def test_edge_is_found_only_near_a_side_edge():
    assert edge_at(at(1440, 400), AREA) == LEFT
    assert edge_at(at(1300, 400), AREA) == LEFT  # dragged past the edge
    assert edge_at(at(AREA.right - 128, 400), AREA) == RIGHT
    assert edge_at(at(AREA.right - 20, 400), AREA) == RIGHT
    assert edge_at(at(2000, 400), AREA) is None
    assert edge_at(at(2000, 25), AREA) is None  # the top edge is not a side


def test_tucked_shows_half_the_pet_at_either_edge_and_keeps_y_on_screen():
    x, y = tucked(at(1450, 2000), AREA, LEFT)
    assert (x, y) == (1440 - 64, AREA.bottom - 128)
    x, y = tucked(at(3000, -50), AREA, RIGHT)
    assert (x, y) == (AREA.right - 64, 25)
    shown = AREA.right - tucked(at(3000, 300), AREA, RIGHT, 0.72)[0]
    assert shown > 128 * TUCKED


def test_leaving_puts_the_whole_pet_back_beside_its_edge():
    assert left_mini(at(1376, 300), AREA, LEFT) == (1440, 300)
    assert left_mini(at(3296, 300), AREA, RIGHT) == (AREA.right - 128, 300)


def test_near_is_a_band_around_the_pet():
    pet = at(100, 100)
    assert near(pet, 150, 150) and near(pet, 100 + 128 + 40, 150)
    assert not near(pet, 100 + 128 + 60, 150)


def test_gaze_eight_ways_with_a_dead_zone():
    eye = (100.0, 100.0)
    assert look_index(eye, (200, 100)) == 0  # right
    assert look_index(eye, (100, 0)) == 2  # up
    assert look_index(eye, (0, 100)) == 4  # left
    assert look_index(eye, (100, 200)) == 6  # down
    assert look_index(eye, (105, 105)) is None  # on the face
    assert look_index(eye, (2000, 100)) is None  # too far to care
    # 25 degrees up-right would round to up-right from nothing, but stays "right" while looking
    # right (no flicker at a boundary).
    assert look_index(eye, (190.6, 57.7)) == 1
    assert look_index(eye, (190.6, 57.7), current=0) == 0
    assert look_index(eye, (100, 0), current=0) == 2
