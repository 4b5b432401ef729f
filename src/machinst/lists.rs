//! [`Lists`]: many short lists (successors of each block, operands of each instruction, block
//! parameters…) in one vector, so that a function's worth of them costs two allocations, not
//! one per list.
//!
//! ```text
//!   items:  [ 1 2 | 5 | | 3 4 7 ]       list 0 = [1, 2], list 1 = [5], list 2 = [], list 3 = [3, 4, 7]
//!   ranges: [ (0,2) (2,3) (3,3) (3,6) ]
//! ```
//!
//! Lists may be filled in any order ([`Lists::set`]): a range need not follow the one before.

/// Many short lists in one vector: list `i` is `items[ranges[i].0..ranges[i].1]`.
#[derive(Clone, Debug, Default)]
pub struct Lists<T> {
    items: Vec<T>,
    ranges: Vec<(u32, u32)>,
}

impl<T: Copy> Lists<T> {
    /// No lists yet, room for `lists` lists of about `per_list` items.
    pub fn with_capacity(lists: usize, per_list: usize) -> Lists<T> {
        Lists {
            items: Vec::with_capacity(lists * per_list),
            ranges: Vec::with_capacity(lists),
        }
    }

    /// `lists` empty lists, to be given their items with [`Lists::set`].
    pub fn empty(lists: usize, per_list: usize) -> Lists<T> {
        Lists {
            items: Vec::with_capacity(lists * per_list),
            ranges: vec![(0, 0); lists],
        }
    }

    /// Adds a list after the last.
    pub fn push(&mut self, list: impl IntoIterator<Item = T>) {
        self.push_with(|items| items.extend(list));
    }

    /// Adds, after the last, the list `fill` appends to the items.
    pub fn push_with(&mut self, fill: impl FnOnce(&mut Vec<T>)) {
        let lo = self.items.len() as u32;
        fill(&mut self.items);
        self.ranges.push((lo, self.items.len() as u32));
    }

    /// Makes list `i` the list `fill` appends to the items (the old items of list `i`, if
    /// any, stay unused).
    pub fn set_with(&mut self, i: usize, fill: impl FnOnce(&mut Vec<T>)) {
        let lo = self.items.len() as u32;
        fill(&mut self.items);
        self.ranges[i] = (lo, self.items.len() as u32);
    }

    /// Makes list `i` hold `list` (see [`Lists::set_with`]).
    pub fn set(&mut self, i: usize, list: impl IntoIterator<Item = T>) {
        self.set_with(i, |items| items.extend(list));
    }

    pub fn get(&self, i: usize) -> &[T] {
        let (lo, hi) = self.ranges[i];
        &self.items[lo as usize..hi as usize]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut [T] {
        let (lo, hi) = self.ranges[i];
        &mut self.items[lo as usize..hi as usize]
    }

    /// The number of lists.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Where list `i` starts among all the items (lists pushed in order number their items
    /// consecutively: item `k` of list `i` is item `start(i) + k` of the whole).
    pub fn start(&self, i: usize) -> usize {
        self.ranges[i].0 as usize
    }

    /// The same lists with every item mapped by `f`.
    pub fn map<U: Copy>(&self, f: impl FnMut(T) -> U) -> Lists<U> {
        Lists {
            items: self.items.iter().copied().map(f).collect(),
            ranges: self.ranges.clone(),
        }
    }

    /// Every item of every list, in storage order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Every item of every list, for changing them all at once.
    pub fn items_mut(&mut self) -> &mut [T] {
        &mut self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_set_out_of_order_keep_their_items() {
        let mut l: Lists<u32> = Lists::empty(3, 2);
        l.set(2, [7, 8]);
        l.set(0, [1]);
        assert_eq!(l.get(0), &[1]);
        assert_eq!(l.get(1), &[] as &[u32]);
        assert_eq!(l.get(2), &[7, 8]);
        l.push([9]);
        assert_eq!((l.len(), l.get(3)), (4, &[9][..]));
        let doubled = l.map(|x| x * 2);
        assert_eq!(doubled.get(2), &[14, 16]);
    }
}
