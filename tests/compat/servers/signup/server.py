"""Account sign-up with a validated form: validators, aliases, constraints, forbidden extras."""

from typing import Optional

from fastmcp import FastMCP
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

mcp = FastMCP("Signup")


class Address(BaseModel):
    street: str
    city: str
    postcode: str = Field(pattern=r"^[0-9]{5}$")
    country: str = "FR"


class SignupForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=16, pattern=r"^[a-z][a-z0-9_]*$")
    email: str
    password: str = Field(min_length=8)
    password_repeat: str
    age: int = Field(ge=13, lt=130)
    display_name: Optional[str] = Field(default=None, alias="displayName")
    seats: int = Field(default=1, multiple_of=1, gt=0, le=50)
    team_size: int = Field(default=5, multiple_of=5)
    address: Optional[Address] = None
    interests: list[str] = Field(default_factory=list, max_length=5)

    @field_validator("email")
    @classmethod
    def email_has_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("email must contain @")
        return value.lower()

    @model_validator(mode="after")
    def passwords_match(self):
        if self.password != self.password_repeat:
            raise ValueError("passwords do not match")
        return self


class Account(BaseModel):
    username: str
    email: str
    display_name: str
    seats: int
    team_size: int
    city: Optional[str] = None
    interests: list[str]


@mcp.tool
def sign_up(form: SignupForm) -> Account:
    """Create an account from a sign-up form."""
    return Account(
        username=form.username,
        email=form.email,
        display_name=form.display_name or form.username,
        seats=form.seats,
        team_size=form.team_size,
        city=form.address.city if form.address else None,
        interests=form.interests,
    )


@mcp.tool
def check_username(username: str = Field(min_length=3, max_length=16, pattern=r"^[a-z][a-z0-9_]*$")) -> bool:
    """Whether a username is well-formed (and free: every well-formed name is)."""
    return True


if __name__ == "__main__":
    mcp.run()
