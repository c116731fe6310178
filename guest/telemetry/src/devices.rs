//! Per-device figures for one batch, looked up once per reading.

use hashbrown::HashMap;

/// Slots in the table of recently seen devices.
const RECENT: usize = 64;

/// A map from device id to `V`, tuned for the lookup every reading makes.
///
/// A batch usually holds readings from a few devices, interleaved. A small direct-mapped
/// table of recently seen ids (slot = the id's low bits) answers most lookups with one
/// comparison; the rest go to a hash map (hashbrown with foldhash). Not a `BTreeMap`: its
/// node search is a loop, and wasmtime epoch-checks every iteration of a loop (BENCHMARKS.md
/// compares the two).
///
/// Modules get no randomness, so the hasher's seed is fixed for a given module build: device
/// ids crafted against it could collide and make lookups linear in the number of devices
/// (the reference's Python `dict` hashes integers to themselves, with the same exposure). The
/// batch's time budget bounds what that costs.
pub struct Devices<V> {
    /// The devices in order of first appearance.
    list: Vec<(i128, V)>,
    /// Position in `list` by id.
    index: HashMap<i128, usize>,
    /// `(id, position in list + 1)` by the id's low bits; 0 marks an empty slot.
    recent: [(i128, u32); RECENT],
}

impl<V> Default for Devices<V> {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            index: HashMap::new(),
            recent: [(0, 0); RECENT],
        }
    }
}

impl<V> Devices<V> {
    /// The figures for device `id`, if it has any.
    #[inline(always)]
    pub fn get_mut(&mut self, id: i128) -> Option<&mut V> {
        let slot = (id as u64 % RECENT as u64) as usize;
        let at = match self.recent[slot] {
            (recent, at) if recent == id && at != 0 => at as usize - 1,
            _ => {
                let at = *self.index.get(&id)?;
                self.remember(id, slot, at);
                at
            }
        };
        self.list.get_mut(at).map(|(_, value)| value)
    }

    /// Sets the figures for device `id`, replacing any it had.
    pub fn insert(&mut self, id: i128, value: V) {
        match self.index.get(&id) {
            Some(&at) => self.list[at].1 = value,
            None => {
                let at = self.list.len();
                self.list.push((id, value));
                self.index.insert(id, at);
                self.remember(id, (id as u64 % RECENT as u64) as usize, at);
            }
        }
    }

    /// Notes in the recent table that device `id` is at `at` in the list.
    fn remember(&mut self, id: i128, slot: usize, at: usize) {
        if let Ok(position) = u32::try_from(at + 1) {
            self.recent[slot] = (id, position);
        }
    }

    /// How many devices there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every device and its figures, ordered by device id.
    pub fn into_sorted(self) -> Vec<(i128, V)> {
        let mut list = self.list;
        list.sort_unstable_by_key(|&(id, _)| id);
        list
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_what_was_inserted_and_lists_devices_by_id() {
        let mut devices = Devices::default();
        for (id, x) in [(3, 1), (-1, 2), (3, 4), (67, 8), (3, 16)] {
            // 3 and 67 share a slot of the recent table.
            match devices.get_mut(id) {
                Some(sum) => *sum += x,
                None => devices.insert(id, x),
            }
        }
        assert_eq!(devices.get_mut(5), None);
        devices.insert(-1, 7);
        assert_eq!(devices.len(), 3);
        assert_eq!(devices.into_sorted(), vec![(-1, 7), (3, 21), (67, 8)]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn behaves_as_a_btree_map(
            ops in prop::collection::vec(
                (prop_oneof![-3i128..200, any::<i64>().prop_map(i128::from), any::<i128>(), Just(i128::MIN), Just(i128::MAX)], any::<u8>()),
                0..300,
            ),
        ) {
            let mut devices = Devices::default();
            let mut model = BTreeMap::new();
            for (id, x) in ops {
                prop_assert_eq!(devices.get_mut(id).cloned(), model.get(&id).cloned());
                if x % 4 == 0 {
                    devices.insert(id, vec![x]);
                    model.insert(id, vec![x]);
                } else if let Some(v) = devices.get_mut(id) {
                    v.push(x);
                    model.entry(id).or_default().push(x);
                } else {
                    devices.insert(id, vec![x]);
                    model.insert(id, vec![x]);
                }
            }
            prop_assert_eq!(devices.into_sorted(), model.into_iter().collect::<Vec<_>>());
        }
    }
}
