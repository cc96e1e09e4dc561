import pytest

from addressing.base_reader import address_rows, build_index
from addressing.match import Geocoder
from addressing.reverse import ReverseGeocoder


@pytest.fixture(scope="session")
def sample_index(sample_engine):
    """The address index of the small sample city, built from the store (each kind)."""
    return build_index(sample_engine)


@pytest.fixture(scope="session")
def geocoder(sample_index):
    return Geocoder(sample_index)


@pytest.fixture(scope="session")
def reverse_geocoder(sample_index):
    return ReverseGeocoder(sample_index)


@pytest.fixture(scope="session")
def sample_rows(sample_engine):
    return list(address_rows(sample_engine))
