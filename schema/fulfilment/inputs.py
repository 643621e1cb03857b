import strawberry
from strawberry import relay


@strawberry.input(description="Units of one order line to ship.")
class FulfilmentLineInput:
    order_line_id: relay.GlobalID = strawberry.field(description="An `OrderLine.id` of this order.")
    quantity: int = strawberry.field(description="At least 1, at most what is left unshipped of that line.")


@strawberry.input(description="A shipment of a paid order.")
class FulfilmentInput:
    carrier: str = strawberry.field(description="Who carries it (up to 100 characters).")
    tracking_number: str = strawberry.field(description="The carrier's tracking number (up to 100 characters).")
    tracking_url: str | None = strawberry.field(default=None, description="An http(s) address to follow it.")
    lines: list[FulfilmentLineInput] | None = strawberry.field(
        default=None, description="What it holds; omitted or empty: everything not shipped yet."
    )
