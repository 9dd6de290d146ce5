"""An ML2 mechanism driver for the harness only: it binds every port on every host.

The harness runs the Neutron API without any L2 agent (no Open vSwitch, no OVN), so no real
mechanism driver can bind a port, and Nova would put every server in ERROR ("binding failed").
Nova's fake virt driver plugs nothing, so a port bound to the first segment with vif_type
"other" is all Nova needs. Never use this outside the harness: nothing carries any packet.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindAllMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER, {},
                                status=constants.PORT_STATUS_ACTIVE)
            return
