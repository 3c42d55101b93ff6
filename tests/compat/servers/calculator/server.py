"""A calculator whose operations take and return pydantic models."""

from enum import Enum
from typing import Optional

from fastmcp import FastMCP
from pydantic import BaseModel, Field

mcp = FastMCP("Calculator", instructions="Arithmetic on numbers and vectors.")


class Operation(str, Enum):
    add = "add"
    subtract = "subtract"
    multiply = "multiply"
    divide = "divide"


class Vector(BaseModel):
    x: float
    y: float
    z: float = 0.0


class Calculation(BaseModel):
    operation: Operation
    operands: list[float] = Field(min_length=2, description="At least two numbers")
    precision: Optional[int] = Field(default=None, ge=0, le=10)


class Answer(BaseModel):
    operation: Operation
    value: float
    rounded: bool = False


@mcp.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@mcp.tool
def divide(dividend: float, divisor: float) -> float:
    """Divide one number by another."""
    if divisor == 0:
        raise ValueError("cannot divide by zero")
    return dividend / divisor


@mcp.tool
def calculate(calculation: Calculation) -> Answer:
    """Apply an operation to a list of operands, left to right."""
    value = calculation.operands[0]
    for operand in calculation.operands[1:]:
        if calculation.operation is Operation.add:
            value += operand
        elif calculation.operation is Operation.subtract:
            value -= operand
        elif calculation.operation is Operation.multiply:
            value *= operand
        else:
            value /= operand
    if calculation.precision is not None:
        return Answer(operation=calculation.operation, value=round(value, calculation.precision), rounded=True)
    return Answer(operation=calculation.operation, value=value)


@mcp.tool
def add_vectors(vectors: list[Vector]) -> Vector:
    """Sum a list of 3D vectors."""
    return Vector(x=sum(v.x for v in vectors), y=sum(v.y for v in vectors), z=sum(v.z for v in vectors))


@mcp.tool
def scale(vector: Vector, factor: float = 1.0) -> dict[str, float]:
    """Scale a vector; returns its components by name."""
    return {"x": vector.x * factor, "y": vector.y * factor, "z": vector.z * factor}


if __name__ == "__main__":
    mcp.run()
