"""QR codes as data: URIs of SVG images, which the strict CSP allows (img-src data:) and which
need no file on disk: the TOTP enrolment code, and a registration's reference code that the
border desk scans."""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg


def qr_svg_data_uri(text: str, *, box_size: int = 8) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
