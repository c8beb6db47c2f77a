"""Levels of the area tree and kinds of departments."""

from enum import StrEnum


class AreaLevel(StrEnum):
    city = "city"  # 市
    district = "district"  # 区/县
    street = "street"  # 街道/乡镇
    community = "community"  # 社区/村
    grid = "grid"  # 网格

    @property
    def depth(self) -> int:
        return list(AreaLevel).index(self)


class DepartmentKind(StrEnum):
    functional = "functional"  # 职能部门
    area_center = "area_center"  # 区级12345分中心
    street_office = "street_office"  # 街道办事处/乡镇政府
    community = "community"  # 社区居委会/村委会
    grid_station = "grid_station"  # 网格站
    enterprise = "enterprise"  # 公共服务企业 (水、电、气、公交)
