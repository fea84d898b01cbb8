# SPDX-License-Identifier: Apache-2.0
"""ament_python package setup; also installs outside ROS with ``pip install -e .``."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "bridgenet_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.rviz")),
        (
            f"share/{PACKAGE}/models",
            glob("models/*.pt") + glob("models/*.onnx") + glob("models/*.md"),
        ),
    ],
    package_data={PACKAGE: ["py.typed"]},
    install_requires=["setuptools", "numpy>=1.21", "pyyaml"],
    zip_safe=True,
    maintainer="bridgenet_ros maintainers",
    maintainer_email="maintainers@bridgenet-ros.invalid",
    description="BridgeNet depth super-resolution for ROS 2",
    license="Apache-2.0",
    python_requires=">=3.10",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "bridgenet = bridgenet_ros.cli.main:main",
            "bridgenet_node = bridgenet_ros.ros.entry:main",
        ],
    },
)
